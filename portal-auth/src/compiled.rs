//! The casbin policy of the shipped model (`casbin/model.conf`) compiled into hash lookups.
//!
//! casbin-rs answers `enforce` by scanning every policy line and searching the role graph for
//! each; that is milliseconds at thousands of lines. [`PolicyIndex`] computes every decision
//! ahead of time instead — role-graph closures per portal, then, per portal, permission
//! (object + action) and role, whether some line allows and whether some line denies — so a
//! check is a handful of hash lookups whatever the policy's size.
//!
//! Semantics, exactly those of the shipped model as casbin-rs evaluates it (a differential
//! property test holds the two together):
//! - a request `(role, portal, object, action)` is allowed when some `p` line with that object
//!   and action, in that portal or in `*`, allows a role the request's role reaches, and no
//!   such line denies one;
//! - a role reaches itself, and whatever it reaches through `g` links of the request's portal,
//!   or through `g` links of `*` — a chain never mixes the two;
//! - casbin-rs follows at most 10 links; a policy with a longer shortest chain is refused
//!   (`ConfigInvalid`) rather than answered differently.

use portal_core::model::{PolicyRule, PortalId};
use portal_core::{Error, ErrorKind, Result};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// The domain of lines that hold in every portal.
pub const ANY_PORTAL: &str = "*";

/// Longest role chain casbin-rs follows (its role manager's hierarchy level).
const MAX_CHAIN: usize = 9;

/// What the lines say about one role and permission: some line allows, some line denies.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Effect {
    allow: bool,
    deny: bool,
}

impl Effect {
    fn merge(&mut self, other: Effect) {
        self.allow |= other.allow;
        self.deny |= other.deny;
    }

    fn allows(self) -> bool {
        self.allow && !self.deny
    }
}

/// Multiply-fold hashing for the index's integer keys (interned ids, never chosen by clients).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Key of one decision within a slot: permission and role, packed.
fn key(perm: u32, role: u32) -> u64 {
    (u64::from(perm) << 21) | u64::from(role)
}

/// A portal id written the way the index stores it: the canonical (lowercase, hyphenated)
/// text of a UUID, which is what a `PortalId` displays as. Other spellings stay strings, since
/// casbin compares domains as text.
fn canonical_uuid(domain: &str) -> Option<u128> {
    let id = uuid::Uuid::parse_str(domain).ok()?;
    let mut buf = [0u8; 36];
    (id.hyphenated().encode_lower(&mut buf) == domain).then(|| id.as_u128())
}

/// The compiled policy. Immutable; a policy change builds a new one.
#[derive(Debug)]
pub struct PolicyIndex {
    roles: HashMap<Box<str>, u32>,
    /// object → action → permission id.
    perms: HashMap<Box<str>, HashMap<Box<str>, u32>>,
    /// Portals with lines or links of their own, by id (canonical UUID text) or by name.
    by_id: HashMap<u128, u32, BuildHasherDefault<IdHasher>>,
    by_name: HashMap<Box<str>, u32>,
    /// Decisions per slot; slot 0 is every portal with nothing of its own.
    slots: Vec<Slot>,
    lines: usize,
}

impl Default for PolicyIndex {
    /// The empty policy: everything is denied.
    fn default() -> Self {
        PolicyIndex {
            roles: HashMap::new(),
            perms: HashMap::new(),
            by_id: HashMap::default(),
            by_name: HashMap::new(),
            slots: vec![Slot::default()],
            lines: 0,
        }
    }
}

/// One portal's decisions: `(key(perm, role), effect)`, sorted by key, in one allocation so a
/// check touches one or two cache lines of it.
#[derive(Debug, Default)]
struct Slot {
    /// The portal has role links of its own, so this slot holds complete decisions; otherwise
    /// it holds only what the portal's own lines add to slot 0's.
    complete: bool,
    effects: Box<[(u64, Effect)]>,
}

impl Slot {
    fn build(complete: bool, effects: HashMap<u64, Effect>) -> Self {
        let mut effects: Vec<(u64, Effect)> = effects.into_iter().collect();
        effects.sort_unstable_by_key(|(k, _)| *k);
        Slot { complete, effects: effects.into_boxed_slice() }
    }

    fn effect(&self, key: u64) -> Effect {
        match self.effects.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => self.effects[i].1,
            Err(_) => Effect::default(),
        }
    }
}

/// Interns strings as dense ids.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(s.into()).or_insert(next)
    }
}

/// Role links of one domain: `reach[r]` = the roles `r` reaches (itself included).
fn closure(links: &[(u32, u32)], roles: usize) -> Result<Vec<Vec<u32>>> {
    let mut next: Vec<Vec<u32>> = vec![Vec::new(); roles];
    for &(from, to) in links {
        next[from as usize].push(to);
    }
    let mut reach = Vec::with_capacity(roles);
    for start in 0..roles {
        let mut depth = vec![usize::MAX; roles];
        depth[start] = 0;
        let mut queue = VecDeque::from([start]);
        let mut seen = vec![start as u32];
        while let Some(r) = queue.pop_front() {
            for &n in &next[r] {
                if depth[n as usize] == usize::MAX {
                    depth[n as usize] = depth[r] + 1;
                    if depth[n as usize] > MAX_CHAIN {
                        return Err(Error::new(
                            ErrorKind::ConfigInvalid,
                            "a role chain is longer than casbin follows (9 links)",
                        ));
                    }
                    seen.push(n);
                    queue.push_back(n as usize);
                }
            }
        }
        reach.push(seen);
    }
    Ok(reach)
}

/// One `p` line, interned.
struct Line {
    role: u32,
    perm: u32,
    effect: Effect,
}

impl PolicyIndex {
    /// Compile `rules` (lines of the shipped model: `p` with 5 values, `g` with 3).
    pub fn compile(rules: &[PolicyRule]) -> Result<Self> {
        let misfit = |r: &PolicyRule, why: &'static str| {
            Err(Error::new(ErrorKind::ConfigInvalid, why).with_context("line", r.to_string()))
        };
        let mut roles = Interner::default();
        let mut perms: HashMap<Box<str>, HashMap<Box<str>, u32>> = HashMap::new();
        let mut perm_count = 0u32;
        let mut lines: HashMap<&str, Vec<Line>> = HashMap::new();
        let mut links: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
        for r in rules {
            let v = r.values();
            match (r.ptype(), v.len()) {
                ("p", 5) => {
                    let effect = match v[4].as_str() {
                        "allow" => Effect { allow: true, deny: false },
                        "deny" => Effect { allow: false, deny: true },
                        _ => return misfit(r, "a policy line's effect is allow or deny"),
                    };
                    let acts = perms.entry(v[2].as_str().into()).or_default();
                    let perm = *acts.entry(v[3].as_str().into()).or_insert_with(|| {
                        perm_count += 1;
                        perm_count - 1
                    });
                    lines.entry(v[1].as_str()).or_default().push(Line { role: roles.id(&v[0]), perm, effect });
                }
                ("g", 3) => {
                    let link = (roles.id(&v[0]), roles.id(&v[1]));
                    links.entry(v[2].as_str()).or_default().push(link);
                }
                _ => return misfit(r, "the compiled authorizer takes p lines of 5 values and g lines of 3"),
            }
        }
        if roles.ids.len() >= 1 << 21 || perm_count >= 1 << 21 {
            return Err(Error::new(ErrorKind::ConfigInvalid, "policy too large to compile"));
        }
        let n = roles.ids.len();
        let no_links = Vec::new();
        let any_reach = closure(links.get(ANY_PORTAL).unwrap_or(&no_links), n)?;
        let any_lines = lines.get(ANY_PORTAL).map(Vec::as_slice).unwrap_or_default();

        let mut index = PolicyIndex { lines: rules.len(), slots: Vec::new(), ..Default::default() };
        // Slot 0: a portal with nothing of its own — `*` lines through `*` links.
        index.slots.push(Slot::build(false, effects_of(any_lines, &[&any_reach])));
        let mut portals: Vec<&str> = lines
            .keys()
            .chain(links.keys())
            .copied()
            .filter(|d| *d != ANY_PORTAL)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        portals.sort_unstable();
        for portal in portals {
            let own_lines = lines.get(portal).map(Vec::as_slice).unwrap_or_default();
            let slot = match links.get(portal) {
                Some(own_links) => {
                    let own_reach = closure(own_links, n)?;
                    let mut effects = effects_of(any_lines, &[&any_reach, &own_reach]);
                    for (k, e) in effects_of(own_lines, &[&any_reach, &own_reach]) {
                        effects.entry(k).or_default().merge(e);
                    }
                    Slot::build(true, effects)
                }
                // Without links of its own, the portal's links reach only the role itself,
                // which `*` links already include: slot 0 plus its own lines is exact.
                None => Slot::build(false, effects_of(own_lines, &[&any_reach])),
            };
            let id = index.slots.len() as u32;
            index.slots.push(slot);
            match canonical_uuid(portal) {
                Some(uuid) => index.by_id.insert(uuid, id),
                None => index.by_name.insert(portal.into(), id),
            };
        }
        index.roles = roles.ids;
        index.perms = perms;
        Ok(index)
    }

    /// How many lines were compiled.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether the policy is empty (everything is denied).
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The permission and portal slot of a request, resolved once for many roles or resources.
    pub fn resolve(&self, portal: &str, object: &str, action: &str) -> Option<Resolved> {
        let slot = match canonical_uuid(portal) {
            Some(uuid) => self.by_id.get(&uuid),
            None => self.by_name.get(portal),
        };
        self.resolved(slot.copied(), object, action)
    }

    /// [`PolicyIndex::resolve`] for a portal id (its canonical text is the casbin domain).
    pub fn resolve_portal(&self, portal: PortalId, object: &str, action: &str) -> Option<Resolved> {
        self.resolved(self.by_id.get(&portal.as_uuid().as_u128()).copied(), object, action)
    }

    fn resolved(&self, slot: Option<u32>, object: &str, action: &str) -> Option<Resolved> {
        let perm = *self.perms.get(object)?.get(action)?;
        Some(Resolved { perm, slot: slot.unwrap_or(0) })
    }

    /// The decision for one role on a resolved request, as casbin's `enforce` would give it.
    pub fn allows(&self, resolved: Resolved, role: &str) -> bool {
        let Some(&role) = self.roles.get(role) else { return false };
        let key = key(resolved.perm, role);
        let slot = &self.slots[resolved.slot as usize];
        let mut effect = slot.effect(key);
        if !slot.complete && resolved.slot != 0 {
            effect.merge(self.slots[0].effect(key));
        }
        effect.allows()
    }

    /// `enforce((role, portal, object, action))` of the shipped model.
    pub fn decide(&self, role: &str, portal: &str, object: &str, action: &str) -> bool {
        self.resolve(portal, object, action).is_some_and(|r| self.allows(r, role))
    }

    /// The objects starting with `prefix` for which the policy has lines with `action`.
    pub fn objects_with_prefix<'s>(&'s self, prefix: &'s str, action: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.perms
            .iter()
            .filter(move |(object, actions)| object.starts_with(prefix) && actions.contains_key(action))
            .map(|(object, _)| &**object)
    }

    /// Whether any of `roles` is allowed `action` on `object` in `portal`.
    pub fn any_allows<'a>(
        &self,
        roles: impl IntoIterator<Item = &'a str>,
        portal: PortalId,
        object: &str,
        action: &str,
    ) -> bool {
        match self.resolve_portal(portal, object, action) {
            Some(r) => roles.into_iter().any(|role| self.allows(r, role)),
            None => false,
        }
    }
}

/// Each line's effect for every role reaching its subject through one of `reaches`, keyed by
/// `key(perm, role)`.
fn effects_of(lines: &[Line], reaches: &[&Vec<Vec<u32>>]) -> HashMap<u64, Effect> {
    let mut effects: HashMap<u64, Effect> = HashMap::new();
    for reach in reaches {
        // reached_by[s] = the roles that reach s.
        let mut reached_by: Vec<Vec<u32>> = vec![Vec::new(); reach.len()];
        for (r, targets) in reach.iter().enumerate() {
            for &t in targets {
                reached_by[t as usize].push(r as u32);
            }
        }
        for line in lines {
            for &r in &reached_by[line.role as usize] {
                effects.entry(key(line.perm, r)).or_default().merge(line.effect);
            }
        }
    }
    effects
}

/// A request's permission and portal, looked up once.
#[derive(Clone, Copy, Debug)]
pub struct Resolved {
    perm: u32,
    slot: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<PolicyRule> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut f = l.split(',').map(str::trim);
                let t = f.next().unwrap();
                PolicyRule::new(t, f).unwrap()
            })
            .collect()
    }

    #[test]
    fn roles_inherit_through_star_links_and_portal_links_separately() {
        let idx = PolicyIndex::compile(&rules(
            "p, reader, *, doc, read, allow
             g, editor, reader, *
             g, boss, editor, p1
             p, editor, p1, doc, write, allow",
        ))
        .unwrap();
        assert!(idx.decide("editor", "p9", "doc", "read"));
        assert!(idx.decide("reader", "p1", "doc", "read"));
        assert!(idx.decide("boss", "p1", "doc", "write"));
        assert!(!idx.decide("boss", "p1", "doc", "read"), "a chain never mixes portal and * links");
        assert!(!idx.decide("boss", "p2", "doc", "write"));
        assert!(!idx.decide("nobody", "p1", "doc", "read"));
        assert!(!idx.decide("reader", "p1", "doc", "delete"));
    }

    #[test]
    fn z11_deny_overrides_allow() {
        let idx = PolicyIndex::compile(&rules(
            "p, customer, *, article:internal, read, deny
             p, agent, *, article:internal, read, allow
             g, agent, customer, *",
        ))
        .unwrap();
        assert!(!idx.decide("agent", "p1", "article:internal", "read"), "the inherited deny wins");
        assert!(!idx.decide("customer", "p1", "article:internal", "read"));
    }

    #[test]
    fn z11_unknown_effects_and_misfit_lines_are_config_errors() {
        for bad in ["p, a, *, o, read, maybe", "p, a, *, o, read", "g, a, b", "p2, a, *, o, read, allow"] {
            let e = PolicyIndex::compile(&rules(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConfigInvalid, "{bad}");
        }
    }

    #[test]
    fn a_role_chain_longer_than_casbin_follows_is_refused() {
        let mut text = String::from("p, r10, *, o, a, allow\n");
        for i in 0..10 {
            text.push_str(&format!("g, r{i}, r{}, *\n", i + 1));
        }
        assert_eq!(PolicyIndex::compile(&rules(&text)).unwrap_err().kind(), ErrorKind::ConfigInvalid);
    }

    #[test]
    fn z10_portal_ids_match_exactly() {
        let idx = PolicyIndex::compile(&rules(
            "p, admin, tenant1, member, list, allow
             p, admin, acme.com, member, list, allow",
        ))
        .unwrap();
        assert!(idx.decide("admin", "tenant1", "member", "list"));
        assert!(!idx.decide("admin", "tenant10", "member", "list"));
        assert!(idx.decide("admin", "acme.com", "member", "list"));
        assert!(!idx.decide("admin", "acmexcom", "member", "list"));
    }
}
