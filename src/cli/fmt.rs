//! `runnel fmt [--check] [FILE...]`: prints SQL normalized by the printer, or checks it parses.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::sql::parse_statements;

/// Arguments of `runnel fmt`.
#[derive(Debug, Clone, clap::Args)]
pub struct FmtArgs {
    /// Only check that the files parse; print nothing when they do.
    #[arg(long)]
    pub check: bool,
    /// SQL files to format; standard input when none is given.
    pub files: Vec<PathBuf>,
}

/// Formats (or checks) each file in turn. Syntax errors go to stderr with the file
/// name, line, column and a caret; the exit code is non-zero if any file failed.
pub fn run(args: &FmtArgs) -> io::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    if args.files.is_empty() {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        failed |= !format_one("<stdin>", &text, args.check, &mut out)?;
    }
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        failed |= !format_one(&path.display().to_string(), &text, args.check, &mut out)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the normalized statements of one text; returns whether it parsed.
fn format_one(name: &str, text: &str, check: bool, out: &mut impl Write) -> io::Result<bool> {
    match format_text(text) {
        Ok(formatted) => {
            if !check {
                out.write_all(formatted.as_bytes())?;
            }
            Ok(true)
        }
        Err(err) => {
            eprintln!("{name}: {err}");
            Ok(false)
        }
    }
}

/// The statements of `text` printed by the printer, each ending in `;`, separated
/// by blank lines. Comments are not kept.
pub fn format_text(text: &str) -> Result<String, crate::sql::ParseError> {
    let statements = parse_statements(text)?;
    let mut formatted = String::new();
    for (i, statement) in statements.iter().enumerate() {
        if i > 0 {
            formatted.push('\n');
        }
        formatted.push_str(&format!("{statement};\n"));
    }
    Ok(formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_spacing() {
        let formatted =
            format_text("select  a,b from s emit changes;show streams").expect("parses");
        assert_eq!(
            formatted,
            "SELECT A, B FROM S EMIT CHANGES;\n\nSHOW STREAMS;\n"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = format_text("SHOW STREAMS;\nSELECT FROM s;").expect_err("bad");
        let text = err.to_string();
        assert!(text.starts_with("line 2, column 8:"), "{text}");
    }
}
