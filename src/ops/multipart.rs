//! A `multipart/form-data` body (RFC 7578) for the one operation that takes one,
//! `upload_attachment`: a file part and text parts, with a boundary that the content
//! does not contain.
//!
//! Small on purpose: the body is built in memory (an attachment is a few MiB at most),
//! file names are checked by the caller ([`check_file_name`]) so that nothing needs
//! escaping inside the quoted `filename` parameter.

use bytes::{BufMut, Bytes, BytesMut};

/// Why a name cannot go into a `Content-Disposition` header as it is.
pub(crate) fn check_file_name(name: &str) -> Result<(), String> {
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the name holds the control character {:?}, which a multipart header cannot carry",
            c
        ));
    }
    for (c, what) in [
        ('"', "a double quote"),
        ('\\', "a backslash"),
        ('/', "a slash"),
    ] {
        if name.contains(c) {
            return Err(format!(
                "the name holds {what} ({c}); give the file name alone, without quotes or directories"
            ));
        }
    }
    if name.trim().is_empty() || name == "." || name == ".." {
        return Err("the name is empty".into());
    }
    Ok(())
}

/// A part of the form.
pub(crate) enum Part<'a> {
    /// A file: its field name, file name, media type and content.
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        data: &'a [u8],
    },
    /// A text field.
    Text { name: &'a str, value: &'a str },
}

/// A built body and its `Content-Type` header value.
pub(crate) struct Form {
    pub(crate) content_type: String,
    pub(crate) body: Bytes,
}

/// Most boundaries tried before giving up (each is 128 random bits: one collision is
/// already unheard of).
const TRIES: usize = 8;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Builds the body. Part names and file names must already be checked (no quotes, no
/// control characters).
pub(crate) fn build(parts: &[Part<'_>]) -> Result<Form, String> {
    let mut boundary = None;
    for _ in 0..TRIES {
        let candidate = format!("osm-{:032x}", fastrand::u128(..));
        let clash = parts.iter().any(|p| {
            let content: &[u8] = match p {
                Part::File { data, .. } => data,
                Part::Text { value, .. } => value.as_bytes(),
            };
            contains(content, candidate.as_bytes())
        });
        if !clash {
            boundary = Some(candidate);
            break;
        }
    }
    let boundary =
        boundary.ok_or("no multipart boundary could be found that the content does not hold")?;
    let size: usize = parts
        .iter()
        .map(|p| match p {
            Part::File { data, .. } => data.len() + 256,
            Part::Text { value, .. } => value.len() + 128,
        })
        .sum::<usize>()
        + boundary.len()
        + 8;
    let mut body = BytesMut::with_capacity(size);
    for part in parts {
        body.put_slice(b"--");
        body.put_slice(boundary.as_bytes());
        body.put_slice(b"\r\n");
        match part {
            Part::File {
                name,
                file_name,
                content_type,
                data,
            } => {
                body.put_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.put_slice(data);
            }
            Part::Text { name, value } => {
                body.put_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.put_slice(value.as_bytes());
            }
        }
        body.put_slice(b"\r\n");
    }
    body.put_slice(b"--");
    body.put_slice(boundary.as_bytes());
    body.put_slice(b"--\r\n");
    Ok(Form {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body: body.freeze(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_parts_in_order_and_ends_with_the_closing_boundary() {
        let form = build(&[
            Part::File {
                name: "file",
                file_name: "dmesg.log",
                content_type: "application/octet-stream",
                data: b"line 1\r\nline 2",
            },
            Part::Text {
                name: "form_data",
                value: "{\"a\":1}",
            },
        ])
        .unwrap();
        let boundary = form
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(form.body.to_vec()).unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"dmesg.log\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nline 1\r\nline 2\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"form_data\"\r\n\r\n{{\"a\":1}}\r\n\
             --{boundary}--\r\n"
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn names_that_would_break_the_header_are_refused() {
        for bad in [
            "a\"b.log",
            "a\r\nX: y.log",
            "dir/a.log",
            "a\\b.log",
            "",
            " ",
            "..",
            "tab\t.log",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        for good in ["dmesg.log", "ошибка.txt", "a b (1).png", "x'y.zip"] {
            assert!(check_file_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_boundary_is_never_found_in_the_content() {
        let form = build(&[Part::Text {
            name: "form_data",
            value: "--osm-",
        }])
        .unwrap();
        let boundary = form.content_type.rsplit('=').next().unwrap();
        assert_eq!(boundary.len(), 4 + 32);
        // The closing boundary appears once, at the end.
        let text = String::from_utf8(form.body.to_vec()).unwrap();
        assert_eq!(text.matches(&format!("--{boundary}--")).count(), 1);
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
