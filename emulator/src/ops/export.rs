//! The export of tickets (download_cases): the tickets the emulator holds that match the
//! filters, newest first, as an Excel workbook (`cases.xlsx`: one sheet, a heading row
//! and a row per ticket). The vendor documents the answer only as a file; a workbook is
//! what a person exporting tickets expects to open, and every spreadsheet program opens
//! this one. Each exported ticket's operation log notes the export (type 84).

use std::time::{SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::Value;

use huaweicloud_osm::values::{CaseOperateType, CaseStatus};

use crate::Shared;
use crate::cases::{self, CaseState};
use crate::http::Reply;
use crate::router::Call;
use crate::store::RecordedTicket;
use crate::vendor::bad_request;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] =
    &[("download_cases", super::Handler::Sync(download))];

/// The name the file is offered under (`Content-Disposition`).
const FILE_NAME: &str = "cases.xlsx";

fn download(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let rows = match select(shared, call) {
        Ok(rows) => rows,
        Err(msg) => return bad_request(&msg, rid).into(),
    };
    let english = call
        .text("language")
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("en"));
    let lang = if english { "en-us" } else { "zh-cn" };
    // The file's times are in the zone the request names (an offset such as GMT+8;
    // anything else reads as UTC).
    let offset = call
        .text("timezone")
        .and_then(|z| super::followup::zone_offset(&z))
        .unwrap_or(0);
    let heading: Vec<String> = if english {
        [
            "Ticket ID",
            "Brief description",
            "Problem type",
            "Ticket type",
            "Product category",
            "Region",
            "Status",
            "Created",
            "Account",
        ]
    } else {
        [
            "工单编号",
            "问题描述",
            "问题类型",
            "工单类型",
            "产品类型",
            "区域",
            "状态",
            "创建时间",
            "账号",
        ]
    }
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut sheet = vec![heading];
    for (t, state) in &rows {
        let (problem, kind, region, product) = super::followup::names(shared, t, lang);
        let status = CaseStatus::from_value(state.status);
        let status = match (status.label(), english) {
            (Some(label), true) => format!("{} ({label})", state.status),
            _ => state.status.to_string(),
        };
        sheet.push(vec![
            t.incident_id.clone(),
            t.body
                .get("simple_description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            problem,
            kind,
            product,
            region,
            status,
            local_time(t.received_at, offset),
            super::followup::customer(t),
        ]);
    }
    let ids: Vec<&str> = rows.iter().map(|(t, _)| t.incident_id.as_str()).collect();
    if !ids.is_empty() {
        super::life::record(shared, &ids, CaseOperateType::Exported);
    }
    let mut answer = crate::http::response(
        StatusCode::OK,
        "application/octet-stream",
        workbook(&sheet),
        rid,
    );
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{FILE_NAME}\"")) {
        answer
            .headers_mut()
            .insert(http::header::CONTENT_DISPOSITION, v);
    }
    answer.into()
}

/// The tickets to export, newest first: deleted ones never; the filters of list_cases
/// that the emulator can apply (several ids in `incident_id`, separated by commas).
fn select(shared: &Shared, call: &Call) -> Result<Vec<(RecordedTicket, CaseState)>, String> {
    let start = super::followup::query_time(call, "query_start_time")?;
    let end = super::followup::query_time(call, "query_end_time")?;
    let ids: Vec<String> = call
        .text("incident_id")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let key = call.text("search_key").filter(|k| !k.is_empty());
    let customer = call.text("customer_id").filter(|c| !c.is_empty());
    let sources: Vec<String> = call
        .param("tenant_source_id_list")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let status = call.int("status");
    let mut rows: Vec<(RecordedTicket, CaseState)> = shared
        .store
        .select(|t| {
            let text = |k: &str| t.body.get(k).and_then(Value::as_str).unwrap_or_default();
            (ids.is_empty() || ids.contains(&t.incident_id))
                && start.is_none_or(|s| t.received_at >= s)
                && end.is_none_or(|e| t.received_at <= e)
                && key
                    .as_deref()
                    .is_none_or(|k| text("simple_description").contains(k))
                && (sources.is_empty() || sources.iter().any(|s| s == text("source_id")))
        })
        .into_iter()
        .filter(|t| {
            customer
                .as_deref()
                .is_none_or(|c| super::followup::customer(t) == c)
        })
        .map(|t| {
            let s = shared.cases.get(&t.incident_id);
            (t, s)
        })
        .filter(|(_, s)| {
            s.status != cases::STATUS_DELETED && status.is_none_or(|st| s.status == st)
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.received_at
            .cmp(&a.0.received_at)
            .then(b.0.seq.cmp(&a.0.seq))
    });
    let offset = call.int("offset").unwrap_or(0).max(0) as usize;
    let limit = call.int("limit").map(|l| l.max(0) as usize);
    Ok(rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect())
}

/// `t` as `yyyy-MM-dd HH:mm:ss` at `offset` seconds east of UTC.
fn local_time(t: SystemTime, offset: i64) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    } + offset;
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The date of day `z` since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

// ---------------------------------------------------------------------------------------
// The workbook: an Office Open XML spreadsheet, its parts stored (not compressed) in a
// zip archive.

/// A workbook of one sheet holding `rows` as text cells.
fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            sheet.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                column(c),
                r + 1,
                xml_text(cell)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
    let parts: [(&str, String); 5] = [
        (
            "[Content_Types].xml",
            format!(
                "{XML}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
                 </Types>"
            ),
        ),
        (
            "_rels/.rels",
            format!(
                "{XML}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                "{XML}<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                 xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
                 <sheets><sheet name=\"Tickets\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "{XML}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 </Relationships>"
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    zip_stored(parts.iter().map(|(n, d)| (*n, d.as_bytes())))
}

/// The letters of column `i` (0 → A, 25 → Z, 26 → AA).
fn column(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `s` as XML text: markup characters escaped, characters XML 1.0 cannot hold dropped.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A zip archive of `files`, each stored as it is.
fn zip_stored<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    // 1980-01-01 00:00, the earliest time the format holds: the archive's bytes depend
    // on its files only.
    const TIME: u16 = 0;
    const DATE: u16 = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut count: u16 = 0;
    for (name, data) in files {
        let crc = crc32(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0, 0, TIME, DATE] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Its central directory entry.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, 0, 0, TIME, DATE] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count += 1;
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    // End of central directory.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE 802.3), as zip archives check their files with.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn crc32_is_the_zip_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn columns_and_text() {
        assert_eq!(column(0), "A");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
        assert_eq!(xml_text("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn times_are_local_to_the_offset() {
        // 2026-03-01 00:30:00 UTC.
        let t = at(1_772_325_000);
        assert_eq!(local_time(t, 0), "2026-03-01 00:30:00");
        assert_eq!(local_time(t, 8 * 3600), "2026-03-01 08:30:00");
        assert_eq!(local_time(t, -3600), "2026-02-28 23:30:00");
        assert_eq!(local_time(at(0), 0), "1970-01-01 00:00:00");
    }

    #[test]
    fn the_workbook_is_a_zip_of_its_parts() {
        let rows = vec![vec!["Ticket ID".to_owned()], vec!["CS<1>".to_owned()]];
        let bytes = workbook(&rows);
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([bytes[end + 10], bytes[end + 11]]), 5);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet1.xml"));
        assert!(text.contains("<t xml:space=\"preserve\">CS&lt;1&gt;</t>"));
    }
}
