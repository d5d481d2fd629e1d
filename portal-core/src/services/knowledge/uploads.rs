//! What an uploaded file must be before the portal keeps it, and how it is handed back.
//!
//! - F1: a size cap per file, a count cap per article and a byte quota per portal.
//! - F2: an allowlist of extensions, each with the content it must have (magic bytes, or
//!   UTF-8 text without markup a browser could run); HTML, SVG, scripts and executables are not
//!   on it. The media type comes from the allowlist, never from the uploader.
//! - F3: the stored name is generated from ids ([`crate::ports::BlobKey`]); the name shown is the
//!   uploaded one without any path, control or bidi characters, or leading dots.
//! - F4: downloads carry `attachment`, an RFC 6266 / 5987 file name, `nosniff` and a sandboxing
//!   content security policy.

use crate::error::{Error, Result};
use crate::model::Attachment;

/// Caps on attachments (F1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Largest file, in bytes (default 10 MiB).
    pub max_file_bytes: u64,
    /// Most files on one article (default 20).
    pub max_files_per_article: u32,
    /// Most bytes of attachments in one portal (default 1 GiB).
    pub max_portal_bytes: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits { max_file_bytes: 10 << 20, max_files_per_article: 20, max_portal_bytes: 1 << 30 }
    }
}

/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// What the content of a file type must look like.
#[derive(Clone, Copy)]
enum Content {
    /// Starts with one of these byte strings.
    Magic(&'static [&'static [u8]]),
    /// `RIFF????WEBP`.
    Webp,
    /// UTF-8 text without NUL and without markup a browser would run.
    Text,
}

const ZIP: Content = Content::Magic(&[b"PK\x03\x04"]);

/// The accepted types: extensions, media type, expected content.
const TYPES: &[(&[&str], &str, Content)] = &[
    (&["pdf"], "application/pdf", Content::Magic(&[b"%PDF-"])),
    (&["png"], "image/png", Content::Magic(&[b"\x89PNG\r\n\x1a\n"])),
    (&["jpg", "jpeg"], "image/jpeg", Content::Magic(&[b"\xff\xd8\xff"])),
    (&["gif"], "image/gif", Content::Magic(&[b"GIF87a", b"GIF89a"])),
    (&["webp"], "image/webp", Content::Webp),
    (&["txt", "log"], "text/plain; charset=utf-8", Content::Text),
    (&["csv"], "text/csv; charset=utf-8", Content::Text),
    (&["md"], "text/markdown; charset=utf-8", Content::Text),
    (&["json"], "application/json", Content::Text),
    (&["zip"], "application/zip", ZIP),
    (&["docx"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    (&["xlsx"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    (&["pptx"], "application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    (&["odt"], "application/vnd.oasis.opendocument.text", ZIP),
    (&["ods"], "application/vnd.oasis.opendocument.spreadsheet", ZIP),
];

/// Markup that makes a browser render or run a file it was tricked into opening.
const ACTIVE_MARKUP: &[&str] =
    &["<html", "<script", "<svg", "<!doctype", "<iframe", "<body", "<object", "<embed", "<?php", "<?xml-stylesheet"];

/// The name to show for an uploaded `raw` name (F3): its last path component, without control
/// or bidi-override characters, surrounding spaces and leading dots, at most 200 characters
/// (the extension kept). `None` when nothing is left.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim_end_matches(['.', ' ']).trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return Some(trimmed.to_owned());
    }
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (trimmed, None),
    };
    let keep = MAX_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let mut name: String = stem.chars().take(keep).collect();
    if let Some(ext) = ext {
        name.push('.');
        name.push_str(ext);
    }
    Some(name)
}

/// Check an upload against F1 (its own size) and F2; returns the name to show and the media
/// type to serve it with.
pub(crate) fn check_upload(raw_name: &str, bytes: &[u8], limits: &AttachmentLimits) -> Result<(String, &'static str)> {
    let name = sanitize_file_name(raw_name).ok_or_else(|| Error::invalid_input("the file has no usable name"))?;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    let Some((_, media, content)) = TYPES.iter().find(|(exts, _, _)| exts.contains(&ext.as_str())) else {
        return Err(Error::invalid_input("files of this type are not accepted").with_context("extension", ext));
    };
    if bytes.is_empty() {
        return Err(Error::invalid_input("the file is empty"));
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(Error::invalid_input("the file is too large").with_context("max_bytes", limits.max_file_bytes));
    }
    if !content_fits(*content, bytes) {
        return Err(Error::invalid_input("the file's content does not match its type").with_context("extension", ext));
    }
    Ok((name, media))
}

fn content_fits(content: Content, bytes: &[u8]) -> bool {
    match content {
        Content::Magic(prefixes) => prefixes.iter().any(|p| bytes.starts_with(p)),
        Content::Webp => bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        Content::Text => {
            let Ok(text) = std::str::from_utf8(bytes) else { return false };
            if text.contains('\0') {
                return false;
            }
            let head: String = text.chars().take(4096).flat_map(char::to_lowercase).collect();
            !ACTIVE_MARKUP.iter().any(|m| head.contains(m))
        }
    }
}

/// A file handed back to a reader, with the headers to serve it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// What is known of it.
    pub attachment: Attachment,
    /// Its content (checked against the stored SHA-256).
    pub bytes: Vec<u8>,
}

impl Download {
    /// The HTTP headers to send with the bytes (F4): the stored media type, `attachment` with
    /// the file name in both RFC 6266 forms, `nosniff`, a content security policy that sandboxes
    /// the file should a browser render it anyway, and no shared caching.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", self.attachment.content_type.clone()),
            ("Content-Length", self.bytes.len().to_string()),
            ("Content-Disposition", content_disposition(&self.attachment.file_name)),
            ("X-Content-Type-Options", "nosniff".to_owned()),
            ("Content-Security-Policy", "default-src 'none'; sandbox".to_owned()),
            ("Cache-Control", "private, no-store".to_owned()),
        ]
    }
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266,
/// RFC 5987): old clients get a safe ASCII name, others the real one; nothing in it can end the
/// header or start another parameter.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn f3_paths_controls_bidi_and_leading_dots_are_removed_from_names() {
        assert_eq!(sanitize_file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize_file_name("C:\\Users\\me\\report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(sanitize_file_name("a\0b\r\n.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(sanitize_file_name("invoice\u{202E}fdp.exe").as_deref(), Some("invoicefdp.exe"));
        assert_eq!(sanitize_file_name("  ..hidden.txt.  ").as_deref(), Some("hidden.txt"));
        assert_eq!(sanitize_file_name("../.."), None);
        assert_eq!(sanitize_file_name(""), None);
        let long = sanitize_file_name(&format!("{}.pdf", "あ".repeat(300))).unwrap();
        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with(".pdf"));
    }

    #[test]
    fn f2_only_allowlisted_extensions_with_matching_content_are_accepted() {
        let limits = AttachmentLimits::default();
        assert_eq!(check_upload("shot.PNG", PNG, &limits).unwrap(), ("shot.PNG".to_owned(), "image/png"));
        assert_eq!(check_upload("notes.txt", "日本語 ok".as_bytes(), &limits).unwrap().1, "text/plain; charset=utf-8");
        for refused in
            ["page.html", "page.htm", "logo.svg", "shell.phtml", "lib.phar", "x.php", "run.exe", "a.js", "noext"]
        {
            let e = check_upload(refused, PNG, &limits).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{refused}");
        }
        // The extension says one thing, the content another.
        for (name, bytes) in [
            ("photo.png", b"<html><script>alert(1)</script>".as_slice()),
            ("doc.pdf", PNG),
            ("readme.txt", b"<!DOCTYPE html><p>hi"),
            ("data.csv", b"a,b\n<svg onload=alert(1)>"),
            ("log.txt", b"\xff\xfe binary"),
            ("log.txt", b"nul\0inside"),
            ("x.webp", b"RIFF\0\0\0\0WAVE"),
        ] {
            let e = check_upload(name, bytes, &limits).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{name}");
        }
    }

    #[test]
    fn f1_empty_and_oversized_files_are_refused() {
        let limits = AttachmentLimits { max_file_bytes: 16, ..AttachmentLimits::default() };
        assert!(check_upload("a.png", PNG, &limits).is_ok());
        assert_eq!(
            check_upload("a.png", &[PNG, b"0"].concat(), &limits).unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
        assert_eq!(check_upload("a.txt", b"", &limits).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn f4_content_disposition_is_attachment_with_both_name_forms() {
        assert_eq!(
            content_disposition("report 2026.pdf"),
            "attachment; filename=\"report 2026.pdf\"; filename*=UTF-8''report%202026.pdf"
        );
        assert_eq!(
            content_disposition("請求書\";x=\\.pdf"),
            "attachment; filename=\"____;x=_.pdf\"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8%22%3Bx%3D%5C.pdf"
        );
    }
}
