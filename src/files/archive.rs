//! What a workbook may unpack to before it is read: an `.xlsx` is a zip archive, and a
//! few kilobytes of it can claim gigabytes of XML.

use std::io::Cursor;

/// Most bytes a workbook's parts may unpack to (a bulk workbook of 20,000 reports is
/// about 60 MiB of XML).
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Most parts in a workbook.
const MAX_PARTS: usize = 1_000;

/// Refuses a workbook whose parts unpack to more than [`MAX_UNPACKED_BYTES`] (as the
/// archive declares them), or that is not a zip archive at all.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    check_within(bytes, MAX_UNPACKED_BYTES)
}

fn check_within(bytes: &[u8], limit: u64) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not an Excel workbook (.xlsx): {e}"))?;
    if archive.len() > MAX_PARTS {
        return Err(format!(
            "the workbook has {} parts; at most {MAX_PARTS} are read",
            archive.len()
        ));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive
            .by_index_raw(i)
            .map_err(|e| format!("not an Excel workbook (.xlsx): {e}"))?;
        total = total.saturating_add(part.size());
    }
    if total > limit {
        return Err(format!(
            "the workbook unpacks to {total} bytes; at most {limit} are read (split it)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .write(0, 0, "x".repeat(10_000))
            .unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_is_read_within_its_unpacked_size() {
        let bytes = workbook();
        assert_eq!(check(&bytes), Ok(()));
        let err = check_within(&bytes, 1_000).unwrap_err();
        assert!(
            err.contains("unpacks to") && err.contains("at most 1000"),
            "{err}"
        );
        assert!(check(b"dealer_code,month\n")
            .unwrap_err()
            .contains("not an Excel workbook"));
    }
}
