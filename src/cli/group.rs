//! `runnel group list|describe`: consumer groups, their committed offsets and lag.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use super::topic::open_log;
use crate::log::{FlushPolicy, LogError, Result};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List consumer groups (with committed offsets or live members).
    List,
    /// Committed offset, end offset and lag per partition, and live members.
    Describe { group: String },
}

pub fn run(data_dir: &Path, command: GroupCommand) -> Result<ExitCode> {
    let log = open_log(data_dir, FlushPolicy::Never)?;
    match command {
        GroupCommand::List => {
            for group in log.group_names() {
                println!("{group}");
            }
        }
        GroupCommand::Describe { group } => {
            let lags = log.lag(&group, None)?;
            let members = log.describe_group(&group);
            if lags.is_empty() && members.is_none() {
                return Err(LogError::Group {
                    group,
                    reason: "no such group (no committed offsets, no members)".into(),
                });
            }
            let mut table = comfy_table::Table::new();
            table.set_header([
                "Topic",
                "Partition",
                "Committed offset",
                "End offset",
                "Lag",
            ]);
            for lag in lags {
                table.add_row([
                    lag.topic_partition.topic.clone(),
                    lag.topic_partition.partition.to_string(),
                    lag.committed.map_or("-".to_string(), |o| o.to_string()),
                    lag.end_offset.to_string(),
                    lag.lag.to_string(),
                ]);
            }
            println!("Group: {group}");
            println!("{table}");
            if let Some(description) = members {
                println!(
                    "Generation {}, {} member(s)",
                    description.generation,
                    description.members.len()
                );
                for member in description.members {
                    let parts: Vec<String> =
                        member.partitions.iter().map(ToString::to_string).collect();
                    println!("  {}: {}", member.member_id, parts.join(", "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
