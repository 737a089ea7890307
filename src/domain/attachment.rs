//! Files the public attaches to a submission (別紙): which kinds a consultation takes, how
//! many and how large, and what a file is, told by its content and never by its name.
use serde::{Deserialize, Serialize};

/// What an attached file is, as its bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Text,
    Docx,
    Xlsx,
    Pptx,
}

impl FileType {
    /// What a scan of a letter or fax may be.
    pub const SCANS: [FileType; 3] = [FileType::Pdf, FileType::Png, FileType::Jpeg];

    pub const ALL: [FileType; 7] =
        [FileType::Pdf, FileType::Png, FileType::Jpeg, FileType::Text, FileType::Docx, FileType::Xlsx, FileType::Pptx];

    /// Told by the content: magic bytes for binary formats (Office files are ZIP archives whose
    /// parts say which application wrote them), and for plain text UTF-8 with no control
    /// characters but tab and line breaks.
    pub fn detect(bytes: &[u8]) -> Option<FileType> {
        if let Some(kind) = infer::get(bytes) {
            return FileType::ALL.into_iter().find(|t| t.content_type() == kind.mime_type());
        }
        let text = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
        let readable = std::str::from_utf8(text)
            .is_ok_and(|s| s.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}')));
        (readable && !text.is_empty()).then_some(FileType::Text)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Text => "text/plain",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    }

    /// The kind's name as people know it, the same in both languages.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Png => "PNG",
            FileType::Jpeg => "JPEG",
            FileType::Text => "TXT",
            FileType::Docx => "Word (.docx)",
            FileType::Xlsx => "Excel (.xlsx)",
            FileType::Pptx => "PowerPoint (.pptx)",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.content_type() == content_type)
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Text => "txt",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
        }
    }

    /// The name shown and downloaded: the sender's name without its extension, then the
    /// extension of what the file really is (`table.exe` holding a PDF becomes `table.pdf`).
    /// Letters are kept (Japanese names stay readable); path separators and control
    /// characters are not.
    pub fn display_name(self, original: &str) -> String {
        let base = original.rsplit(['/', '\\']).next().unwrap_or(original);
        let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
        let clean: String = stem
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
            .take(100)
            .collect();
        let clean = clean.trim().trim_start_matches('.');
        let stem = if clean.is_empty() { "attachment" } else { clean };
        format!("{stem}.{}", self.extension())
    }
}

/// A consultation's rules for attachments; a consultation whose file says nothing takes none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRules {
    pub max_files: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    pub types: Vec<FileType>,
}

/// `[rules.attachments]` in a consultation file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRulesFile {
    pub max_files: Option<usize>,
    pub max_file_bytes: Option<u64>,
    pub max_total_bytes: Option<u64>,
    pub types: Option<Vec<FileType>>,
}

impl AttachmentRules {
    pub const DEFAULT_MAX_FILES: usize = 5;
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
    pub const DEFAULT_TYPES: [FileType; 4] = [FileType::Pdf, FileType::Png, FileType::Jpeg, FileType::Text];

    pub fn from_file(file: AttachmentRulesFile) -> Result<Self, String> {
        let max_files = file.max_files.unwrap_or(Self::DEFAULT_MAX_FILES);
        let max_file_bytes = file.max_file_bytes.unwrap_or(Self::DEFAULT_MAX_FILE_BYTES);
        let max_total_bytes = file.max_total_bytes.unwrap_or(max_file_bytes.saturating_mul(max_files as u64));
        let types = file.types.unwrap_or_else(|| Self::DEFAULT_TYPES.to_vec());
        if max_files == 0 || max_file_bytes == 0 {
            return Err("rules.attachments: max_files and max_file_bytes must be at least 1".into());
        }
        if max_total_bytes < max_file_bytes {
            return Err("rules.attachments: max_total_bytes must be at least max_file_bytes".into());
        }
        if types.is_empty() {
            return Err("rules.attachments: types must name at least one type".into());
        }
        Ok(Self { max_files, max_file_bytes, max_total_bytes, types })
    }

    /// The most bytes a request carrying attachments may hold, text and framing included.
    pub fn request_bytes(&self, text_bytes: usize) -> usize {
        (self.max_total_bytes as usize).saturating_add(text_bytes).saturating_add(64 * 1024)
    }
}

/// Why a file may not be marked publishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishRefusal {
    /// A scan staff made of a letter or fax: it shows the sender's name and address.
    StaffScan,
}

/// Whether a file may be published once staff mark it: only what a submitter attached
/// online; a scan of a letter carries its sender's personal data on its face.
pub fn may_publish(scanned_by_staff: bool) -> Result<(), PublishRefusal> {
    if scanned_by_staff {
        Err(PublishRefusal::StaffScan)
    } else {
        Ok(())
    }
}

/// A file the public attached, as publication sees it.
#[derive(Debug, Clone)]
pub struct FileCandidate {
    pub id: i64,
    pub submission_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub publishable: bool,
    pub withdrawn: bool,
}

/// A file as published with the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedFile {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Which files go out with the results: those staff marked publishable, of a submission that
/// was not withdrawn and has an opinion published with an answer. The rest are counted.
pub fn files_to_publish(
    files: Vec<FileCandidate>,
    answered_submission: impl Fn(i64) -> bool,
) -> (Vec<PublishedFile>, i64) {
    let total = files.len() as i64;
    let published: Vec<PublishedFile> = files
        .into_iter()
        .filter(|f| f.publishable && !f.withdrawn && answered_submission(f.submission_id))
        .map(|f| PublishedFile { id: f.id, name: f.name, content_type: f.content_type, size: f.size, sha256: f.sha256 })
        .collect();
    let not_published = total - published.len() as i64;
    (published, not_published)
}

/// Why an attached file was refused; each names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentProblem {
    NotAccepted,
    TooManyFiles { max: usize },
    FileTooLarge { name: String, max_bytes: u64 },
    TotalTooLarge { max_bytes: u64 },
    WrongType { name: String },
    Empty { name: String },
    Refused { name: String },
    Missing { name: String },
}

/// One file as it arrived: its name as sent and its size (its bytes may be on disk already).
pub struct Offered<'a> {
    pub name: &'a str,
    pub size: u64,
    /// `None` when the content matched no known type.
    pub detected: Option<FileType>,
    /// The configured virus scanner refused it.
    pub scan_refused: bool,
    /// Kept between the form's steps, it is no longer on disk (kept too long).
    pub missing: bool,
}

/// Checks what was attached against the consultation's rules; every problem is listed.
pub fn check(rules: Option<&AttachmentRules>, files: &[Offered<'_>]) -> Result<(), Vec<AttachmentProblem>> {
    if files.is_empty() {
        return Ok(());
    }
    let Some(rules) = rules else {
        return Err(vec![AttachmentProblem::NotAccepted]);
    };
    let mut problems = Vec::new();
    if files.len() > rules.max_files {
        problems.push(AttachmentProblem::TooManyFiles { max: rules.max_files });
    }
    for f in files {
        let name = f.name.to_string();
        if f.size == 0 {
            problems.push(AttachmentProblem::Empty { name });
        } else if f.size > rules.max_file_bytes {
            problems.push(AttachmentProblem::FileTooLarge { name, max_bytes: rules.max_file_bytes });
        } else if !f.detected.is_some_and(|t| rules.types.contains(&t)) {
            problems.push(AttachmentProblem::WrongType { name });
        } else if f.missing {
            problems.push(AttachmentProblem::Missing { name });
        } else if f.scan_refused {
            problems.push(AttachmentProblem::Refused { name });
        }
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > rules.max_total_bytes && !problems.iter().any(|p| matches!(p, AttachmentProblem::FileTooLarge { .. })) {
        problems.push(AttachmentProblem::TotalTooLarge { max_bytes: rules.max_total_bytes });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AttachmentRules {
        AttachmentRules::from_file(AttachmentRulesFile {
            max_files: Some(2),
            max_file_bytes: Some(100),
            max_total_bytes: Some(150),
            types: None,
        })
        .unwrap()
    }

    #[test]
    fn the_type_is_told_by_the_content_never_the_name() {
        assert_eq!(FileType::detect(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(FileType::detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileType::Png));
        assert_eq!(FileType::detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(FileType::Jpeg));
        assert_eq!(FileType::detect("意見の補足です。\r\n表1参照".as_bytes()), Some(FileType::Text));
        assert_eq!(FileType::detect(b"MZ\x90\0\x03\0\0\0"), None, "a Windows program is not text");
        assert_eq!(FileType::detect(b"%PDF-1.7 ..."), Some(FileType::Pdf));
        assert_eq!(FileType::detect(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(FileType::detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(FileType::detect(b"<html><script>"), None, "a web page is neither a document nor plain text");
        assert_eq!(FileType::detect(b"text with a \x07 bell"), None);
        assert_eq!(FileType::detect(&[0xFF, 0xFE, 0x00]), None, "not UTF-8");
        assert_eq!(FileType::Pdf.display_name("../../etc/表1.exe"), "表1.pdf");
        assert_eq!(FileType::Text.display_name("\u{0}"), "attachment.txt");
        assert_eq!(FileType::Png.display_name(".htaccess"), "attachment.png");
    }

    #[test]
    fn every_problem_names_its_file() {
        let r = rules();
        let ok =
            |name, size| Offered { name, size, detected: Some(FileType::Pdf), scan_refused: false, missing: false };
        assert_eq!(check(Some(&r), &[ok("a.pdf", 100), ok("b.pdf", 50)]), Ok(()));
        assert_eq!(check(None, &[]), Ok(()), "no files, nothing to check");
        assert_eq!(check(None, &[ok("a.pdf", 1)]), Err(vec![AttachmentProblem::NotAccepted]));
        let problems = check(
            Some(&r),
            &[
                ok("big.pdf", 101),
                Offered { name: "page.html", size: 10, detected: None, scan_refused: false, missing: false },
                Offered {
                    name: "sheet.xlsx",
                    size: 10,
                    detected: Some(FileType::Xlsx),
                    scan_refused: false,
                    missing: false,
                },
                Offered {
                    name: "eicar.txt",
                    size: 68,
                    detected: Some(FileType::Text),
                    scan_refused: true,
                    missing: false,
                },
            ],
        )
        .unwrap_err();
        assert_eq!(
            problems,
            vec![
                AttachmentProblem::TooManyFiles { max: 2 },
                AttachmentProblem::FileTooLarge { name: "big.pdf".into(), max_bytes: 100 },
                AttachmentProblem::WrongType { name: "page.html".into() },
                AttachmentProblem::WrongType { name: "sheet.xlsx".into() },
                AttachmentProblem::Refused { name: "eicar.txt".into() },
            ],
            "Office files only where the consultation lists them"
        );
        assert_eq!(
            check(Some(&r), &[ok("a.pdf", 100), ok("b.pdf", 60)]),
            Err(vec![AttachmentProblem::TotalTooLarge { max_bytes: 150 }])
        );
        assert_eq!(check(Some(&r), &[ok("e.pdf", 0)]), Err(vec![AttachmentProblem::Empty { name: "e.pdf".into() }]));
        let gone = Offered { missing: true, ..ok("kept.pdf", 10) };
        assert_eq!(check(Some(&r), &[gone]), Err(vec![AttachmentProblem::Missing { name: "kept.pdf".into() }]));
    }

    #[test]
    fn only_marked_files_of_answered_submissions_are_published() {
        let file = |id, submission_id, publishable, withdrawn| FileCandidate {
            id,
            submission_id,
            name: format!("{id}.pdf"),
            content_type: "application/pdf".into(),
            size: 10,
            sha256: String::new(),
            publishable,
            withdrawn,
        };
        let files = vec![
            file(1, 10, true, false),
            file(2, 10, false, false),
            file(3, 11, true, false),
            file(4, 12, true, true),
        ];
        let (published, not) = files_to_publish(files, |s| s == 10 || s == 12);
        assert_eq!(published.iter().map(|f| f.id).collect::<Vec<_>>(), vec![1]);
        assert_eq!(not, 3, "unmarked, unanswered and withdrawn are counted, not published");
    }

    #[test]
    fn scans_of_letters_are_never_published() {
        assert_eq!(may_publish(true), Err(PublishRefusal::StaffScan));
        assert_eq!(may_publish(false), Ok(()));
    }

    #[test]
    fn a_consultation_file_must_allow_something() {
        let zero = AttachmentRulesFile { max_files: Some(0), ..Default::default() };
        assert!(AttachmentRules::from_file(zero).is_err());
        let none = AttachmentRulesFile { types: Some(vec![]), ..Default::default() };
        assert!(AttachmentRules::from_file(none).is_err());
        let d = AttachmentRules::from_file(AttachmentRulesFile::default()).unwrap();
        assert_eq!((d.max_files, d.max_total_bytes), (5, 5 * 10 * 1024 * 1024));
    }
}
