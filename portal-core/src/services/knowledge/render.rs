//! Article bodies: Markdown (CommonMark with tables, strikethrough and task lists) rendered to
//! HTML, then sanitized with an allow-list (ammonia), so whatever an editor — or an imported
//! document — puts in a body, a page shows no script, event handler, `javascript:` link or
//! inline style (V1).

use pulldown_cmark::{html, Options, Parser};

/// `markdown` as sanitized HTML.
pub fn render_markdown(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        // Links leave the portal without handing it the reader's session context.
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

/// `text` with every HTML-significant character escaped (for snippets and plain fields).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html_into(&mut out, text);
    out
}

/// [`escape_html`] appended to `out` (a snippet is built from many pieces without a string
/// for each).
pub fn escape_html_into(out: &mut String, text: &str) {
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        let escaped = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The significant characters are ASCII: `i` is a character boundary.
        out.push_str(&text[plain..i]);
        out.push_str(escaped);
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_script_tags_are_removed() {
        let html = render_markdown("Hello <script>alert(1)</script> world\n\n<script src=x></script>");
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(html.contains("Hello"));
    }

    #[test]
    fn v1_javascript_links_lose_their_target() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">click</a>",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            "<a href=\"vbscript:msgbox(1)\">click</a>",
        ] {
            let html = render_markdown(md).to_lowercase();
            assert!(
                !html.contains("javascript:") && !html.contains("data:") && !html.contains("vbscript:"),
                "{md} -> {html}"
            );
            assert!(html.contains("click"), "{md} keeps its text");
        }
        let ok = render_markdown("[docs](https://example.com/help)");
        assert!(ok.contains("href=\"https://example.com/help\""), "{ok}");
        assert!(ok.contains("noopener"), "{ok}");
    }

    #[test]
    fn v1_svg_and_event_handlers_are_removed() {
        for md in [
            "<svg onload=\"alert(1)\"><circle r=\"5\"/></svg>",
            "<img src=\"x.png\" onerror=\"alert(1)\">",
            "<p onclick=\"alert(1)\">text</p>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<object data=\"x\"></object><embed src=\"x\">",
        ] {
            let html = render_markdown(md).to_lowercase();
            for bad in ["<svg", "onload", "onerror", "onclick", "<iframe", "<object", "<embed"] {
                assert!(!html.contains(bad), "{md} -> {html}");
            }
        }
    }

    #[test]
    fn v1_style_attributes_and_style_tags_are_removed() {
        let html = render_markdown(
            "<p style=\"background:url(javascript:alert(1))\">x</p><style>body{display:none}</style><span style=\"color:red\">y</span>",
        );
        assert!(!html.contains("style"), "{html}");
        assert!(html.contains('x') && html.contains('y'));
    }

    #[test]
    fn markdown_features_render() {
        let html =
            render_markdown("# Title\n\n**bold** ~~old~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n`code`");
        for want in ["<h1>Title</h1>", "<strong>bold</strong>", "<del>old</del>", "<table>", "<code>code</code>"] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(render_markdown("日本語の**強調**").contains("<strong>強調</strong>"));
    }

    #[test]
    fn escape_html_escapes_every_significant_character() {
        assert_eq!(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let mut out = String::from("<b>");
        escape_html_into(&mut out, "é<ü>&");
        assert_eq!(out, "<b>é&lt;ü&gt;&amp;");
    }
}
