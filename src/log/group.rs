//! Consumer-group membership: members join, heartbeat and leave; every change of the
//! member set (including a missed session timeout) is a rebalance to a new generation
//! after which each partition of the subscribed topics has exactly one owner.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::clock::Clock;
use super::error::{LogError, Result};
use super::record::TopicPartition;
use super::store::Log;

/// How partitions are spread over members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssignmentStrategy {
    /// Per topic, contiguous ranges of partitions (Kafka's `RangeAssignor`).
    #[default]
    Range,
    /// All partitions dealt out in turn (Kafka's `RoundRobinAssignor`).
    RoundRobin,
}

/// What a member asks for when joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// `None` for a new member; `Some` to rejoin as an existing member.
    pub member_id: Option<String>,
    pub topics: Vec<String>,
    pub session_timeout_ms: i64,
    pub strategy: AssignmentStrategy,
}

impl JoinRequest {
    pub fn new(topics: Vec<String>) -> Self {
        JoinRequest {
            member_id: None,
            topics,
            session_timeout_ms: 45_000,
            strategy: AssignmentStrategy::Range,
        }
    }
}

/// A member's view after a join or heartbeat: a generation changed since the member last
/// looked means a rebalance happened and `partitions` is its new assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub member_id: String,
    pub generation: u32,
    pub partitions: Vec<TopicPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub topics: Vec<String>,
    pub partitions: Vec<TopicPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group: String,
    pub generation: u32,
    pub strategy: AssignmentStrategy,
    pub members: Vec<MemberDescription>,
}

#[derive(Debug)]
struct Member {
    topics: Vec<String>,
    session_timeout_ms: i64,
    last_heartbeat_ms: i64,
    partitions: Vec<TopicPartition>,
}

#[derive(Debug, Default)]
struct Group {
    generation: u32,
    strategy: AssignmentStrategy,
    members: BTreeMap<String, Member>,
}

/// The group coordinator of one log (membership is in memory, as in Kafka it is
/// re-established by members after a restart; committed offsets are durable).
#[derive(Debug)]
pub struct GroupCoordinator {
    clock: Arc<dyn Clock>,
    groups: Mutex<BTreeMap<String, Group>>,
    next_member: Mutex<u64>,
}

impl GroupCoordinator {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        GroupCoordinator {
            clock,
            groups: Mutex::new(BTreeMap::new()),
            next_member: Mutex::new(0),
        }
    }

    pub(crate) fn group_names(&self) -> Vec<String> {
        self.groups.lock().keys().cloned().collect()
    }
}

impl Log {
    /// Joins (or rejoins) a group; the group rebalances and the new assignment is returned.
    pub fn join_group(&self, group: &str, request: JoinRequest) -> Result<Assignment> {
        if group.is_empty() {
            return Err(group_error(group, "a group id cannot be empty"));
        }
        if request.topics.is_empty() {
            return Err(group_error(
                group,
                "a member must subscribe to at least one topic",
            ));
        }
        for topic in &request.topics {
            self.existing_topic(topic)?;
        }
        let coordinator = &self.groups;
        let now = coordinator.clock.now_ms();
        let mut groups = coordinator.groups.lock();
        self.expire_locked(&mut groups, now);
        let entry = groups.entry(group.to_string()).or_default();
        let member_id = match request.member_id {
            Some(id) => id,
            None => {
                let mut next = coordinator.next_member.lock();
                *next += 1;
                format!("{group}-member-{}", *next)
            }
        };
        entry.strategy = request.strategy;
        entry.members.insert(
            member_id.clone(),
            Member {
                topics: request.topics,
                session_timeout_ms: request.session_timeout_ms.max(1),
                last_heartbeat_ms: now,
                partitions: Vec::new(),
            },
        );
        self.rebalance(entry);
        current_assignment(group, entry, &member_id)
    }

    /// Keeps a member alive and returns its current generation and assignment.
    pub fn heartbeat(&self, group: &str, member_id: &str) -> Result<Assignment> {
        let now = self.groups.clock.now_ms();
        let mut groups = self.groups.groups.lock();
        self.expire_locked(&mut groups, now);
        let entry = groups.get_mut(group).ok_or_else(|| {
            group_error(
                group,
                &format!("unknown member '{member_id}' (no such group)"),
            )
        })?;
        let member = entry.members.get_mut(member_id).ok_or_else(|| {
            group_error(
                group,
                &format!("unknown member '{member_id}': it left or its session expired; rejoin"),
            )
        })?;
        member.last_heartbeat_ms = now;
        current_assignment(group, entry, member_id)
    }

    /// Leaves a group; the remaining members rebalance.
    pub fn leave_group(&self, group: &str, member_id: &str) -> Result<()> {
        let mut groups = self.groups.groups.lock();
        let entry = groups
            .get_mut(group)
            .ok_or_else(|| group_error(group, "no such group"))?;
        if entry.members.remove(member_id).is_none() {
            return Err(group_error(group, &format!("unknown member '{member_id}'")));
        }
        self.rebalance(entry);
        if entry.members.is_empty() {
            groups.remove(group);
        }
        Ok(())
    }

    /// Removes members whose session timed out (rebalancing their groups).
    pub fn expire_group_members(&self) {
        let now = self.groups.clock.now_ms();
        let mut groups = self.groups.groups.lock();
        self.expire_locked(&mut groups, now);
    }

    pub fn describe_group(&self, group: &str) -> Option<GroupDescription> {
        let groups = self.groups.groups.lock();
        let entry = groups.get(group)?;
        Some(GroupDescription {
            group: group.to_string(),
            generation: entry.generation,
            strategy: entry.strategy,
            members: entry
                .members
                .iter()
                .map(|(id, m)| MemberDescription {
                    member_id: id.clone(),
                    topics: m.topics.clone(),
                    partitions: m.partitions.clone(),
                })
                .collect(),
        })
    }

    fn expire_locked(&self, groups: &mut BTreeMap<String, Group>, now: i64) {
        let mut emptied = Vec::new();
        for (name, group) in groups.iter_mut() {
            let before = group.members.len();
            group
                .members
                .retain(|_, m| now.saturating_sub(m.last_heartbeat_ms) <= m.session_timeout_ms);
            if group.members.len() != before {
                self.rebalance(group);
            }
            if group.members.is_empty() {
                emptied.push(name.clone());
            }
        }
        for name in emptied {
            groups.remove(&name);
        }
    }

    /// Starts a new generation and recomputes every member's partitions.
    fn rebalance(&self, group: &mut Group) {
        group.generation += 1;
        let subscriptions: BTreeMap<String, Vec<String>> = group
            .members
            .iter()
            .map(|(id, m)| (id.clone(), m.topics.clone()))
            .collect();
        let counts = |topic: &str| self.topic(topic).map_or(0, |t| t.partition_count());
        let mut assignment = assign(group.strategy, &subscriptions, &counts);
        for (id, member) in group.members.iter_mut() {
            member.partitions = assignment.remove(id).unwrap_or_default();
        }
    }
}

fn current_assignment(group: &str, entry: &Group, member_id: &str) -> Result<Assignment> {
    let member = entry.members.get(member_id).ok_or_else(|| {
        LogError::Internal(format!(
            "member {member_id} of group {group} vanished during a join"
        ))
    })?;
    Ok(Assignment {
        member_id: member_id.to_string(),
        generation: entry.generation,
        partitions: member.partitions.clone(),
    })
}

fn group_error(group: &str, reason: &str) -> LogError {
    LogError::Group {
        group: group.to_string(),
        reason: reason.to_string(),
    }
}

/// Assigns partitions to members (`member -> subscribed topics`).
pub fn assign(
    strategy: AssignmentStrategy,
    subscriptions: &BTreeMap<String, Vec<String>>,
    partition_count: &dyn Fn(&str) -> u32,
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut result: BTreeMap<String, Vec<TopicPartition>> = subscriptions
        .keys()
        .map(|m| (m.clone(), Vec::new()))
        .collect();
    let mut topics: Vec<&String> = subscriptions.values().flatten().collect();
    topics.sort();
    topics.dedup();
    match strategy {
        AssignmentStrategy::Range => {
            for topic in topics {
                let members: Vec<&String> = subscriptions
                    .iter()
                    .filter(|(_, t)| t.contains(topic))
                    .map(|(m, _)| m)
                    .collect();
                let partitions = partition_count(topic);
                let per_member = partitions / members.len() as u32;
                let extra = partitions % members.len() as u32;
                for (i, member) in members.iter().enumerate() {
                    let i = i as u32;
                    let start = i * per_member + i.min(extra);
                    let len = per_member + u32::from(i < extra);
                    if let Some(owned) = result.get_mut(*member) {
                        owned.extend(
                            (start..start + len).map(|p| TopicPartition::new(topic.as_str(), p)),
                        );
                    }
                }
            }
        }
        AssignmentStrategy::RoundRobin => {
            let members: Vec<&String> = subscriptions.keys().collect();
            let mut next = 0usize;
            for topic in topics {
                for p in 0..partition_count(topic) {
                    // Advance to the next member subscribed to this topic (one exists).
                    for _ in 0..members.len() {
                        let member = members[next % members.len()];
                        next += 1;
                        if subscriptions[member].contains(topic) {
                            if let Some(owned) = result.get_mut(member) {
                                owned.push(TopicPartition::new(topic.as_str(), p));
                            }
                            break;
                        }
                    }
                }
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(members: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        members
            .iter()
            .map(|(m, t)| (m.to_string(), t.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn range_gives_contiguous_ranges_extra_to_first() {
        let result = assign(
            AssignmentStrategy::Range,
            &subs(&[("a", &["t"]), ("b", &["t"])]),
            &|_| 5,
        );
        let parts = |m: &str| result[m].iter().map(|tp| tp.partition).collect::<Vec<_>>();
        assert_eq!(parts("a"), vec![0, 1, 2]);
        assert_eq!(parts("b"), vec![3, 4]);
    }

    #[test]
    fn round_robin_deals_in_turn() {
        let result = assign(
            AssignmentStrategy::RoundRobin,
            &subs(&[("a", &["t", "u"]), ("b", &["t", "u"])]),
            &|_| 2,
        );
        assert_eq!(
            result["a"],
            vec![TopicPartition::new("t", 0), TopicPartition::new("u", 0)]
        );
        assert_eq!(
            result["b"],
            vec![TopicPartition::new("t", 1), TopicPartition::new("u", 1)]
        );
    }
}
