//! Text read from attached files for the triage search: plain text as it is, PDFs through a
//! pure-Rust extractor. Images are not read. A file the extractor cannot read gives no text
//! (never an error for the person who sent it: the file was accepted on its type alone).
use crate::domain::attachment::FileType;

/// Most characters kept of one file's text: the search needs words, not whole books.
pub const MAX_CHARS: usize = 1_000_000;

pub fn extract(kind: FileType, bytes: &[u8]) -> Option<String> {
    let text = match kind {
        FileType::Text => {
            let bytes = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
            String::from_utf8_lossy(bytes).into_owned()
        }
        // A malformed PDF may make the extractor panic: that file simply gives no text.
        FileType::Pdf => std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)).ok()?.ok()?,
        _ => return None,
    };
    let text = crate::domain::text::normalize(&text);
    let text: String = text.chars().filter(|c| !c.is_control() || *c == '\n').take(MAX_CHARS).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_read_and_images_are_not() {
        assert_eq!(extract(FileType::Text, "\u{FEFF}監査の頻度\r\n".as_bytes()).as_deref(), Some("監査の頻度"));
        assert_eq!(extract(FileType::Png, b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(extract(FileType::Pdf, b"%PDF-1.4 not really a pdf"), None, "unreadable: no text, no panic");
    }
}
