//! Free text from clients: names, reasons, search terms. One set of rules, so that nothing
//! unprintable reaches storage or logs, and messages quote only a short excerpt.

/// Checks a text: not blank, at most `max` characters, no control characters (NUL
/// included). `what` names the field in the message.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{what} must not be blank"));
    }
    if text.chars().count() > max {
        return Err(format!(
            "{what} must be at most {max} characters, got {}",
            text.chars().count()
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{what} must not contain control characters (found U+{:04X})",
            c as u32
        ));
    }
    Ok(())
}

/// At most 40 characters of what a client wrote, for messages.
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(check_text("name", "华东 Motors 4S", 200).is_ok());
        assert!(check_text("name", "  ", 200).is_err());
        assert!(check_text("name", "a\0b", 200)
            .unwrap_err()
            .contains("U+0000"));
        assert!(check_text("name", "a\u{1b}[31m", 200).is_err());
        assert!(check_text("name", "line\nbreak", 200).is_err());
        assert!(check_text("name", &"字".repeat(201), 200).is_err());
        assert!(check_text("name", &"字".repeat(200), 200).is_ok());
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(1000);
        assert_eq!(excerpt(&long).chars().count(), 41);
    }
}
