//! Translation of Java `DateTimeFormatter` patterns (what ksqlDB users write) into
//! chrono format items.

use chrono::format::{Fixed, Item, StrftimeItems};

/// A Java pattern compiled into chrono items, ready to format and parse with.
#[derive(Debug, Clone)]
pub struct JavaFormat {
    pub pattern: String,
    pub items: Vec<Item<'static>>,
}

impl JavaFormat {
    /// Compiles a Java pattern such as `yyyy-MM-dd'T'HH:mm:ss.SSSX`.
    pub fn compile(pattern: &str) -> Result<Self, String> {
        let (strftime, zulu_offsets) = translate(pattern)?;
        let mut items = StrftimeItems::new(&strftime)
            .parse_to_owned()
            .map_err(|_| format!("unsupported date-time pattern '{pattern}'"))?;
        // Each `X` run stands as a `%#z` placeholder: put its own offset item there.
        let placeholder = StrftimeItems::new(ZULU_PLACEHOLDER).next();
        let mut zulu_offsets = zulu_offsets.into_iter();
        for item in &mut items {
            if Some(&*item) == placeholder.as_ref() {
                let fixed = zulu_offsets.next().ok_or_else(|| {
                    format!("date-time pattern '{pattern}' lost an offset (a bug)")
                })?;
                *item = Item::Fixed(fixed);
            }
        }
        Ok(JavaFormat {
            pattern: pattern.to_string(),
            items,
        })
    }
}

/// Stands for a Java `X` offset in the strftime text: a user's `%` is always escaped, so
/// only [`translate`] writes it.
const ZULU_PLACEHOLDER: &str = "%#z";

/// The chrono strftime string equivalent to a Java pattern.
pub fn to_strftime(pattern: &str) -> Result<String, String> {
    translate(pattern).map(|(strftime, _)| strftime)
}

/// The strftime text of a Java pattern, and the offset items its `X` runs stand for:
/// Java's `X` reads and writes `Z` for a zero offset, which no strftime spec does.
fn translate(pattern: &str) -> Result<(String, Vec<Fixed>), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut zulu_offsets = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal; '' is a single quote (inside or outside quotes).
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!(
                            "unterminated quote in date-time pattern '{pattern}'"
                        ));
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(literal) => {
                        push_literal(&mut out, *literal);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if c == '[' || c == ']' || c == '{' || c == '}' || c == '#' {
                return Err(format!(
                    "optional sections and reserved character '{c}' are not supported in date-time pattern '{pattern}'"
                ));
            }
            push_literal(&mut out, c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        i += run;
        let spec = match (c, run) {
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M' | 'L', 1) => "%-m",
            ('M' | 'L', 2) => "%m",
            ('M' | 'L', 3) => "%b",
            ('M' | 'L', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('D', 1 | 2) => "%-j",
            ('D', _) => "%j",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 1..=3) => "%3f",
            ('S', 4..=6) => "%6f",
            ('S', _) => "%9f",
            ('n', _) => "%f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('e', 1) => "%u",
            ('z', 1..=3) => "%Z",
            ('Z', 1..=3) => "%z",
            ('Z', _) => "%:z",
            ('X', 1 | 2) => {
                zulu_offsets.push(Fixed::TimezoneOffsetZ);
                ZULU_PLACEHOLDER
            }
            ('X', _) => {
                zulu_offsets.push(Fixed::TimezoneOffsetColonZ);
                ZULU_PLACEHOLDER
            }
            ('x', 1 | 2) => "%z",
            ('x', _) => "%:z",
            ('V', 2) => "%Z",
            _ => {
                return Err(format!(
                    "unsupported pattern letter '{c}' (x{run}) in date-time pattern '{pattern}'"
                ));
            }
        };
        out.push_str(spec);
    }
    Ok((out, zulu_offsets))
}

fn push_literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_common_patterns() {
        assert_eq!(
            to_strftime("yyyy-MM-dd HH:mm:ss.SSS").as_deref(),
            Ok("%Y-%m-%d %H:%M:%S.%3f")
        );
        assert_eq!(
            to_strftime("yyyy-MM-dd'T'HH:mm:ssx").as_deref(),
            Ok("%Y-%m-%dT%H:%M:%S%z")
        );
        assert_eq!(
            to_strftime("dd/MMM/yy h:mm a").as_deref(),
            Ok("%d/%b/%y %-I:%M %p")
        );
        assert_eq!(to_strftime("'it''s' 100%").as_deref(), Ok("it's 100%%"));
    }

    #[test]
    fn java_x_offsets_read_and_write_z_for_utc() {
        let format = JavaFormat::compile("yyyy-MM-dd'T'HH:mmX '%#z'").expect("valid");
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, "2020-01-02T03:04Z %#z", format.items.iter())
            .expect("Z is a zero offset");
        assert_eq!(parsed.offset(), Some(0));
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(
            &mut parsed,
            "2020-01-02T03:04+0530 %#z",
            format.items.iter(),
        )
        .expect("an offset");
        assert_eq!(parsed.offset(), Some(19_800));
        let colon = JavaFormat::compile("HH:mmXXX").expect("valid");
        let utc = chrono::DateTime::from_timestamp(0, 0).expect("epoch");
        assert_eq!(
            utc.format_with_items(colon.items.iter()).to_string(),
            "00:00Z"
        );
    }

    #[test]
    fn rejects_unknown_letters_and_bad_quotes() {
        assert!(to_strftime("yyyy-QQ").is_err());
        assert!(to_strftime("'open").is_err());
        assert!(to_strftime("yyyy[-MM]").is_err());
        assert!(JavaFormat::compile("yyyy-MM-dd").is_ok());
    }
}
