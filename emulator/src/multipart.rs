//! A strict reader of `multipart/form-data` bodies (RFC 7578, RFC 2046 §5.1), for the
//! one operation that takes one, `upload_attachment`. The whole body is in memory
//! already (bounded by the router), so this only splits it.

use bytes::Bytes;

/// The most parts read.
const MAX_PARTS: usize = 16;
/// The most bytes of one part's headers.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// One part of a form.
#[derive(Debug)]
pub(crate) struct Part {
    /// The `name` of its `Content-Disposition`.
    pub(crate) name: String,
    /// The `filename`, if it has one.
    pub(crate) file_name: Option<String>,
    /// Its content.
    pub(crate) data: Bytes,
}

/// The boundary of a `Content-Type: multipart/form-data; boundary=…` value.
pub(crate) fn boundary(content_type: &str) -> Result<String, String> {
    let mut params = split_params(content_type);
    let media = params.next().unwrap_or_default();
    if !media.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!(
            "Content-Type must be multipart/form-data, not {:?}",
            media.trim()
        ));
    }
    for p in params {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("boundary")
        {
            let b = unquote(v.trim());
            if b.is_empty() || b.len() > 70 {
                return Err("the multipart boundary must be 1 to 70 characters".into());
            }
            return Ok(b);
        }
    }
    Err("Content-Type multipart/form-data has no boundary".into())
}

/// Splits a header value on `;` outside quoted strings.
fn split_params(value: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => v.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The parts of `body`.
pub(crate) fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    // The first delimiter opens the body (a preamble before it is allowed).
    let mut pos = if body.starts_with(d) {
        0
    } else {
        find(body, format!("\r\n{delimiter}").as_bytes(), 0)
            .map(|p| p + 2)
            .ok_or("the body holds no multipart boundary")?
    };
    let mut parts = Vec::new();
    loop {
        pos += d.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        // Transport padding (spaces, tabs) may follow the delimiter.
        while matches!(body.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err("a multipart boundary is not followed by CRLF".into());
        }
        pos += 2;
        if parts.len() == MAX_PARTS {
            return Err(format!("the form has more than {MAX_PARTS} parts"));
        }
        let (head, content_start) = if body.get(pos..pos + 2) == Some(b"\r\n") {
            ("", pos + 2)
        } else {
            let e = find(body, b"\r\n\r\n", pos)
                .filter(|e| e - pos <= MAX_HEADER_BYTES)
                .ok_or("a part's headers do not end (or are longer than 8 KiB)")?;
            let head =
                std::str::from_utf8(&body[pos..e]).map_err(|_| "a part's headers are not UTF-8")?;
            (head, e + 4)
        };
        let end = find(body, format!("\r\n{delimiter}").as_bytes(), content_start)
            .ok_or("a part is not closed by the boundary (is the body cut short?)")?;
        let mut name = None;
        let mut file_name = None;
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| format!("a part's header line {line:?} has no colon"))?;
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                let mut params = split_params(v);
                if !params
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("form-data"))
                {
                    return Err("a part's Content-Disposition is not form-data".into());
                }
                for p in params {
                    if let Some((pk, pv)) = p.split_once('=') {
                        match pk.trim().to_ascii_lowercase().as_str() {
                            "name" => name = Some(unquote(pv.trim())),
                            "filename" => file_name = Some(unquote(pv.trim())),
                            _ => {}
                        }
                    }
                }
            }
        }
        let name = name.ok_or("a part has no Content-Disposition name")?;
        parts.push(Part {
            name,
            file_name,
            data: body.slice(content_start..end),
        });
        pos = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parts_of_a_form() {
        let body = Bytes::from_static(
            b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b \\\"c\\\".log\"\r\n\
              Content-Type: text/plain\r\n\r\nline\r\n-XyZ\r\n--XyZ\r\n\
              Content-Disposition: form-data; name=form_data\r\n\r\n{}\r\n--XyZ--\r\n",
        );
        let parts = parse(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].file_name.as_deref(), Some("a;b \"c\".log"));
        assert_eq!(&parts[0].data[..], b"line\r\n-XyZ");
        assert_eq!(parts[1].name, "form_data");
        assert_eq!(&parts[1].data[..], b"{}");
    }

    #[test]
    fn refuses_broken_forms() {
        assert!(parse(&Bytes::from_static(b"no boundary"), "B").is_err());
        let cut =
            Bytes::from_static(b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc");
        assert!(parse(&cut, "B").is_err());
        let unnamed = Bytes::from_static(b"--B\r\nContent-Type: x\r\n\r\nabc\r\n--B--");
        assert!(parse(&unnamed, "B").is_err());
    }

    #[test]
    fn finds_the_boundary() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").unwrap(),
            "abc"
        );
        assert_eq!(
            boundary("Multipart/Form-Data;boundary=\"a b\"").unwrap(),
            "a b"
        );
        assert!(boundary("application/json").is_err());
        assert!(boundary("multipart/form-data").is_err());
    }
}
