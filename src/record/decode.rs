//! Turning payload bytes into something to read: one-line previews, and the detail views
//! (UTF-8 text with invalid bytes marked, pretty JSON, hex dump). Work is proportional to
//! what is shown: a view indexes its lines once, then formats only the lines asked for.

use std::ops::Range;

/// The detail pane's ways of showing a payload; `x` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DetailMode {
    #[default]
    Text,
    Json,
    Hex,
}

impl DetailMode {
    pub fn next(self) -> Self {
        match self {
            DetailMode::Text => DetailMode::Json,
            DetailMode::Json => DetailMode::Hex,
            DetailMode::Hex => DetailMode::Text,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DetailMode::Text => "text",
            DetailMode::Json => "json",
            DetailMode::Hex => "hex",
        }
    }
}

/// What a piece of a formatted line is, so the UI can colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    Plain,
    /// Bytes that are not valid UTF-8, shown as `\xNN`.
    Invalid,
    /// Control characters, shown escaped.
    Control,
    JsonKey,
    JsonString,
    JsonNumber,
    JsonLiteral,
    JsonPunctuation,
    HexOffset,
    HexByte,
    HexAscii,
    /// A non-printable byte in the hex view's ASCII gutter.
    HexDot,
    /// A notice from kinspect itself, such as why JSON could not be shown.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub kind: SegmentKind,
}

pub type FormattedLine = Vec<Segment>;

pub const HEX_BYTES_PER_LINE: usize = 16;

/// A payload prepared for the detail pane in one mode.
#[derive(Debug, Clone)]
pub struct DetailView {
    mode: DetailMode,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// Lines of the raw payload, by byte range.
    Text {
        line_starts: Vec<usize>,
        len: usize,
    },
    /// Pretty-printed JSON and its line ranges.
    Json {
        pretty: String,
        line_starts: Vec<usize>,
    },
    /// JSON was asked for but the payload is not JSON: a note, then the text view.
    NotJson {
        reason: String,
        line_starts: Vec<usize>,
        len: usize,
    },
    Hex {
        len: usize,
    },
}

impl DetailView {
    pub fn new(data: &[u8], mode: DetailMode) -> Self {
        let body = match mode {
            DetailMode::Text => Body::Text { line_starts: line_starts(data), len: data.len() },
            DetailMode::Hex => Body::Hex { len: data.len() },
            DetailMode::Json => match serde_json::from_slice::<serde_json::Value>(data) {
                Ok(value) => {
                    let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
                    let line_starts = line_starts(pretty.as_bytes());
                    Body::Json { pretty, line_starts }
                }
                Err(e) => Body::NotJson {
                    reason: format!("not JSON ({e}); showing text"),
                    line_starts: line_starts(data),
                    len: data.len(),
                },
            },
        };
        DetailView { mode, body }
    }

    pub fn mode(&self) -> DetailMode {
        self.mode
    }

    pub fn line_count(&self) -> usize {
        match &self.body {
            Body::Text { line_starts, .. } | Body::Json { line_starts, .. } => line_starts.len(),
            Body::NotJson { line_starts, .. } => line_starts.len() + 1,
            Body::Hex { len } => len.div_ceil(HEX_BYTES_PER_LINE).max(1),
        }
    }

    /// Formats the lines in `range` (clamped to the view) of the payload `data` this view
    /// was built from.
    pub fn lines(&self, data: &[u8], range: Range<usize>) -> Vec<FormattedLine> {
        let end = range.end.min(self.line_count());
        (range.start.min(end)..end).map(|n| self.line(data, n)).collect()
    }

    fn line(&self, data: &[u8], n: usize) -> FormattedLine {
        match &self.body {
            Body::Text { line_starts, len } => text_line(data, line_range(line_starts, *len, n)),
            Body::Json { pretty, line_starts } => {
                json_line(&pretty[line_range(line_starts, pretty.len(), n)])
            }
            Body::NotJson { reason, line_starts, len } => match n {
                0 => vec![Segment { text: reason.clone(), kind: SegmentKind::Note }],
                n => text_line(data, line_range(line_starts, *len, n - 1)),
            },
            Body::Hex { .. } => hex_line(data, n),
        }
    }
}

fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1));
    starts
}

/// Byte range of line `n`, without its newline.
fn line_range(starts: &[usize], len: usize, n: usize) -> Range<usize> {
    let start = starts.get(n).copied().unwrap_or(len).min(len);
    let end = starts.get(n + 1).map_or(len, |next| next - 1).max(start);
    start..end
}

/// Longest line the detail pane formats; the rest of a longer line is summarised.
pub const MAX_LINE_BYTES: usize = 4096;

fn text_line(data: &[u8], range: Range<usize>) -> FormattedLine {
    let shown_end = range.end.min(range.start + MAX_LINE_BYTES);
    let mut line = Vec::new();
    push_text(&mut line, &data[range.start..shown_end]);
    if shown_end < range.end {
        line.push(Segment {
            text: format!(" … {} more bytes", range.end - shown_end),
            kind: SegmentKind::Note,
        });
    }
    line
}

/// Appends `bytes` as text: valid UTF-8 as is, control characters escaped, invalid bytes
/// marked as `\xNN` — nothing dropped.
fn push_text(line: &mut FormattedLine, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        let mut plain = String::new();
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\t' {
                flush(line, &mut plain, SegmentKind::Plain);
                push_segment(line, &escape_control(c), SegmentKind::Control);
            } else if c == '\t' {
                plain.push_str("    ");
            } else {
                plain.push(c);
            }
        }
        flush(line, &mut plain, SegmentKind::Plain);
        if !chunk.invalid().is_empty() {
            let text: String = chunk.invalid().iter().map(|b| format!("\\x{b:02x}")).collect();
            push_segment(line, &text, SegmentKind::Invalid);
        }
    }
}

fn flush(line: &mut FormattedLine, text: &mut String, kind: SegmentKind) {
    if !text.is_empty() {
        push_segment(line, text, kind);
        text.clear();
    }
}

/// Appends text, joining it to the last segment when that is of the same kind.
fn push_segment(line: &mut FormattedLine, text: &str, kind: SegmentKind) {
    match line.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(text),
        _ => line.push(Segment { text: text.to_string(), kind }),
    }
}

fn escape_control(c: char) -> String {
    match c {
        '\r' => "\\r".into(),
        '\n' => "\\n".into(),
        c => format!("\\u{{{:x}}}", c as u32),
    }
}

/// Colours one line of serde_json's pretty output. Strings never span lines there, so a
/// line can be lexed on its own.
fn json_line(text: &str) -> FormattedLine {
    let mut line = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b' ' => {
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                SegmentKind::Plain
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                if text[i..].starts_with(':') {
                    SegmentKind::JsonKey
                } else {
                    SegmentKind::JsonString
                }
            }
            b'-' | b'0'..=b'9' => {
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                SegmentKind::JsonNumber
            }
            b't' | b'f' | b'n' => {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                SegmentKind::JsonLiteral
            }
            _ => {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                SegmentKind::JsonPunctuation
            }
        };
        // `i` only ever stops on ASCII bytes or after a whole character.
        let piece = text.get(start..i).unwrap_or_default();
        line.push(Segment { text: piece.to_string(), kind });
    }
    line
}

/// `00000010  7b 22 69 64 22 3a 31 7d  0a 00 ff 00 00 00 00 00  {"id":1}........`
fn hex_line(data: &[u8], n: usize) -> FormattedLine {
    let start = n * HEX_BYTES_PER_LINE;
    let chunk = data.get(start..(start + HEX_BYTES_PER_LINE).min(data.len())).unwrap_or_default();
    let mut line = vec![Segment { text: format!("{start:08x}  "), kind: SegmentKind::HexOffset }];
    let mut hex = String::with_capacity(3 * HEX_BYTES_PER_LINE + 1);
    for i in 0..HEX_BYTES_PER_LINE {
        match chunk.get(i) {
            Some(b) => hex.push_str(&format!("{b:02x} ")),
            None => hex.push_str("   "),
        }
        if i == 7 {
            hex.push(' ');
        }
    }
    line.push(Segment { text: hex, kind: SegmentKind::HexByte });
    line.push(Segment { text: " ".into(), kind: SegmentKind::Plain });
    for b in chunk {
        if b.is_ascii_graphic() || *b == b' ' {
            push_segment(&mut line, &(*b as char).to_string(), SegmentKind::HexAscii);
        } else {
            push_segment(&mut line, ".", SegmentKind::HexDot);
        }
    }
    line
}

/// A one-line summary of a payload for the record table, looking at no more than the
/// first few hundred bytes however large the payload is.
pub fn preview(data: &[u8], max_chars: usize) -> String {
    let head = &data[..data.len().min(max_chars.saturating_mul(4))];
    let cut = head.len() < data.len();
    let mut out = String::with_capacity(max_chars);
    let mut chars = 0;
    // Invalid bytes and control characters other than line breaks and tabs: more than a
    // stray one or two, or one at the very start, mean binary, where hex says more.
    let mut suspicious = 0;
    let mut chunks = head.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        for c in chunk.valid().chars() {
            if chars == max_chars {
                return out;
            }
            if c.is_control() {
                if !matches!(c, '\n' | '\r' | '\t') {
                    suspicious += 1;
                    if chars == 0 || suspicious > 2 {
                        return hex_preview(data, max_chars);
                    }
                }
                out.push(' ');
            } else {
                out.push(c);
            }
            chars += 1;
        }
        // A character cut in two by taking only the head is not an invalid byte.
        let cut_here = cut && chunks.peek().is_none();
        if chunk.invalid().is_empty() || cut_here {
            continue;
        }
        suspicious += chunk.invalid().len();
        if chars == 0 || suspicious > 2 {
            return hex_preview(data, max_chars);
        }
        if chars < max_chars {
            out.push('\u{fffd}');
            chars += 1;
        }
    }
    out
}

fn hex_preview(data: &[u8], max_chars: usize) -> String {
    let mut out = String::from("0x");
    for b in data.iter().take(max_chars.saturating_sub(2) / 2) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[FormattedLine]) -> Vec<String> {
        lines.iter().map(|l| l.iter().map(|s| s.text.as_str()).collect()).collect()
    }

    #[test]
    fn text_marks_invalid_bytes_and_escapes_controls() {
        let data = b"caf\xc3\xa9 \xff\xfe ok\x07\nsecond\tline";
        let view = DetailView::new(data, DetailMode::Text);
        assert_eq!(view.line_count(), 2);
        let lines = view.lines(data, 0..10);
        assert_eq!(plain(&lines), ["café \\xff\\xfe ok\\u{7}", "second    line"]);
        assert!(lines[0].iter().any(|s| s.kind == SegmentKind::Invalid && s.text == "\\xff\\xfe"));
        assert!(lines[0].iter().any(|s| s.kind == SegmentKind::Control));
    }

    #[test]
    fn json_is_pretty_printed_and_coloured() {
        let data = br#"{"id":7,"ok":true,"name":"x","tags":[1.5,null]}"#;
        let view = DetailView::new(data, DetailMode::Json);
        let lines = view.lines(data, 0..100);
        assert_eq!(plain(&lines)[1], r#"  "id": 7,"#);
        assert_eq!(view.line_count(), 9);
        let kinds: Vec<SegmentKind> = lines[1].iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SegmentKind::Plain,
                SegmentKind::JsonKey,
                SegmentKind::JsonPunctuation,
                SegmentKind::Plain,
                SegmentKind::JsonNumber,
                SegmentKind::JsonPunctuation
            ]
        );
        assert!(
            lines[3].iter().any(|s| s.kind == SegmentKind::JsonString && s.text == "\"x\""),
            "keys keep their order"
        );
        assert!(lines[2].iter().any(|s| s.kind == SegmentKind::JsonLiteral && s.text == "true"));
    }

    #[test]
    fn json_mode_on_text_says_why_and_shows_the_text() {
        let data = b"hello";
        let view = DetailView::new(data, DetailMode::Json);
        let lines = view.lines(data, 0..5);
        assert_eq!(lines[0][0].kind, SegmentKind::Note);
        assert_eq!(plain(&lines)[1], "hello");
    }

    #[test]
    fn hex_dump_has_offsets_bytes_and_a_gutter() {
        let data: Vec<u8> = (0..20).map(|i| if i == 3 { b'A' } else { i }).collect();
        let view = DetailView::new(&data, DetailMode::Hex);
        assert_eq!(view.line_count(), 2);
        let lines = plain(&view.lines(&data, 0..2));
        assert_eq!(lines[0], "00000000  00 01 02 41 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  ...A............");
        assert!(lines[1].starts_with("00000010  10 11 12 13 "));
        assert_eq!(lines[1].find("...."), lines[0].find("...A"), "the gutter lines up on a short last line");
    }

    #[test]
    fn only_the_requested_lines_are_formatted() {
        let data = "line\n".repeat(100_000).into_bytes();
        let view = DetailView::new(&data, DetailMode::Text);
        assert_eq!(view.line_count(), 100_001);
        assert_eq!(view.lines(&data, 50_000..50_003).len(), 3);
        assert_eq!(view.lines(&data, 100_000..100_010).len(), 1);
        assert!(view.lines(&data, 200_000..200_010).is_empty());
    }

    #[test]
    fn previews_are_one_line_and_bounded() {
        assert_eq!(preview(b"{\"a\":\n1}", 80), "{\"a\": 1}");
        assert_eq!(preview(b"abcdef", 3), "abc");
        assert_eq!(preview(&[0x1f, 0x8b, 0x08, 0x00, 0xff, 0xee], 12), "0x1f8b0800ff");
        assert_eq!(preview(b"caf\xc3", 10), "caf\u{fffd}");
        assert_eq!(preview(b"\x07\x1fbell", 10), "0x071f6265");
        assert_eq!(preview(b"a\x01b\x02c\x03d", 20), "0x61016202630364");
    }
}
