//! Property tests for the payload decoders: arbitrary bytes never panic, every line can be
//! asked for, and nothing is dropped.

use kinspect::record::decode::{preview, DetailMode, DetailView, SegmentKind, HEX_BYTES_PER_LINE};
use proptest::prelude::*;

fn text(line: &[kinspect::record::decode::Segment]) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_mode_formats_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048), start in 0usize..300, len in 0usize..300) {
        for mode in [DetailMode::Text, DetailMode::Json, DetailMode::Hex] {
            let view = DetailView::new(&data, mode);
            prop_assert!(view.line_count() >= 1);
            let lines = view.lines(&data, start..start + len);
            let expected = view.line_count().min(start + len).saturating_sub(start);
            prop_assert_eq!(lines.len(), expected);
            for line in view.lines(&data, 0..view.line_count()) {
                prop_assert!(!text(&line).contains('\n'), "no line holds a newline");
            }
        }
    }

    #[test]
    fn the_hex_view_holds_every_byte(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let view = DetailView::new(&data, DetailMode::Hex);
        let mut bytes = Vec::new();
        for line in view.lines(&data, 0..view.line_count()) {
            let hex = line.iter().find(|s| s.kind == SegmentKind::HexByte).map(|s| s.text.clone()).unwrap_or_default();
            bytes.extend(hex.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap()));
        }
        prop_assert_eq!(bytes, data.clone());
        prop_assert_eq!(view.line_count(), data.len().div_ceil(HEX_BYTES_PER_LINE).max(1));
    }

    #[test]
    fn the_text_view_drops_no_valid_text(s in "\\PC{0,200}") {
        let data = s.as_bytes();
        let view = DetailView::new(data, DetailMode::Text);
        let shown: String = view
            .lines(data, 0..view.line_count())
            .iter()
            .map(|l| l.iter().filter(|seg| seg.kind == SegmentKind::Plain).map(|seg| seg.text.as_str()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        let expected: String = s.replace('\t', "    ").chars().filter(|c| !c.is_control() || *c == '\n').collect();
        prop_assert_eq!(shown, expected);
    }

    #[test]
    fn previews_are_single_lines_within_the_width(data in proptest::collection::vec(any::<u8>(), 0..4096), width in 1usize..200) {
        let p = preview(&data, width);
        prop_assert!(p.chars().count() <= width.max(2));
        prop_assert!(!p.contains('\n') && !p.contains('\r'));
    }
}
