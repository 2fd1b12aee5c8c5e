//! Checks across the whole policy once its parts are lowered: rule names are unique, and no
//! definition is defined in terms of itself.

use super::*;

impl Lowerer {
    pub(super) fn check_unique_rule_names(&mut self, model: &Policy) {
        let mut seen: HashMap<&str, ()> = HashMap::new();
        let names = model
            .escalations
            .iter()
            .map(|e| (&e.name, &e.loc))
            .chain(model.triggers.iter().map(|t| (&t.name, &t.loc)))
            .chain(model.plans.iter().map(|p| (&p.name, &p.loc)));
        let mut dupes = Vec::new();
        for (name, loc) in names {
            if seen.insert(name.as_str(), ()).is_some() {
                dupes.push((name.clone(), loc.clone()));
            }
        }
        for (name, loc) in dupes {
            self.error(
                &loc,
                ModelError::Duplicate {
                    what: "a rule name",
                    name,
                },
            );
        }
    }

    pub(super) fn check_definition_cycles(&mut self, model: &Policy) {
        fn refs<'c>(c: &'c Condition, out: &mut Vec<&'c str>) {
            match c {
                Condition::All(parts) | Condition::Any(parts) => {
                    parts.iter().for_each(|p| refs(p, out))
                }
                Condition::Not(inner) => refs(inner, out),
                Condition::Defined(name) => out.push(name),
                _ => {}
            }
        }
        // One node per name (the last definition of a name is the one its references follow).
        let mut index: HashMap<&str, usize> = HashMap::new();
        for def in &model.definitions {
            let next = index.len();
            index.entry(def.name.as_str()).or_insert(next);
        }
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); index.len()];
        for def in &model.definitions {
            let mut out = Vec::new();
            refs(&def.condition, &mut out);
            if let Some(node) = index.get(def.name.as_str()).and_then(|&i| edges.get_mut(i)) {
                *node = out
                    .iter()
                    .filter_map(|name| index.get(name).copied())
                    .collect();
            }
        }
        let cyclic = on_cycles(&edges);
        for def in &model.definitions {
            let on_cycle = index
                .get(def.name.as_str())
                .is_some_and(|&i| cyclic.get(i).copied().unwrap_or(false));
            if on_cycle && def.origin == Origin::School {
                self.error(
                    &def.loc,
                    ModelError::DefinitionCycle {
                        name: def.name.clone(),
                    },
                );
            }
        }
    }
}

/// Which nodes of a graph lie on a cycle (can reach themselves): Tarjan's strongly connected
/// components, with an explicit stack so a chain of ten thousand definitions cannot overflow
/// the call stack, in time linear in nodes and edges. (Written here rather than taken from
/// petgraph: it is the one graph question the crate asks.) Every index is the graph's own,
/// below `edges.len()`; edges to anything else are ignored.
fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
    struct Node {
        order: Option<usize>,
        low: usize,
        on_stack: bool,
        cyclic: bool,
    }
    let n = edges.len();
    let mut nodes: Vec<Node> = (0..n)
        .map(|_| Node {
            order: None,
            low: 0,
            on_stack: false,
            cyclic: false,
        })
        .collect();
    let out = |v: usize| edges.get(v).map_or(&[][..], Vec::as_slice);
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if nodes[root].order.is_some() {
            continue;
        }
        // (node, how many of its edges have been followed)
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        nodes[root] = Node {
            order: Some(next),
            low: next,
            on_stack: true,
            cyclic: false,
        };
        next += 1;
        stack.push(root);
        while let Some(&(v, followed)) = calls.last() {
            if let Some(&w) = out(v).get(followed) {
                calls.last_mut().into_iter().for_each(|call| call.1 += 1);
                if w >= n {
                    continue;
                }
                match nodes[w].order {
                    None => {
                        nodes[w] = Node {
                            order: Some(next),
                            low: next,
                            on_stack: true,
                            cyclic: false,
                        };
                        next += 1;
                        stack.push(w);
                        calls.push((w, 0));
                    }
                    Some(order) if nodes[w].on_stack => {
                        nodes[v].low = nodes[v].low.min(order);
                    }
                    Some(_) => {}
                }
                continue;
            }
            calls.pop();
            let low = nodes[v].low;
            if let Some(&(parent, _)) = calls.last() {
                nodes[parent].low = nodes[parent].low.min(low);
            }
            if nodes[v].order == Some(low) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    nodes[w].on_stack = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || out(v).contains(&v) {
                    for w in component {
                        nodes[w].cyclic = true;
                    }
                }
            }
        }
    }
    nodes.into_iter().map(|node| node.cyclic).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::syntax::ast::File;

    #[test]
    fn cycles_are_found_and_chains_are_not() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 3 names itself; 4 → 0 only reaches one; 5 → 9 is
        // not a node.
        let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![0], vec![9]];
        assert_eq!(on_cycles(&edges), [true, true, true, true, false, false]);
        // A chain of 100,000 (each naming the next) on a test thread's stack, then closed.
        let n = 100_000;
        let mut chain: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        chain[n - 1].clear();
        assert!(on_cycles(&chain).iter().all(|&c| !c));
        chain[n - 1].push(0);
        assert!(on_cycles(&chain).iter().all(|&c| c));
    }

    #[test]
    fn a_long_chain_of_definitions_is_checked_for_cycles_once() {
        let mut text = String::from("policy \"P\" {\n  define d0 when pupil.fsm\n");
        for i in 1..2_000 {
            text.push_str(&format!("  define d{i} when d{} or pupil.sen\n", i - 1));
        }
        text.push_str("  define a when b\n  define b when a\n}\n");
        let src = Source::new("p.policy", text);
        let Ok(File::Policy(ast)) = crate::syntax::parse(&src) else {
            panic!("parses");
        };
        let (_, diagnostics) = lower(&ast);
        let cycles: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.code == "model::definition_cycle")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(cycles.len(), 2, "{cycles:?}");
    }
}
