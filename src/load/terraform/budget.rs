//! What evaluating one root module may cost. The scanned repository is untrusted: a few lines
//! of Terraform can double a list forty times, ask for `count = 100000000`, or chain locals
//! thousands deep. Every such growth is charged to a budget; a budget that runs out makes the
//! value unknown (or cuts the expansion) and becomes an error notification naming the file,
//! the line and the limit, so the scan is marked incomplete while the rest of it goes on.
//!
//! The defaults are far above what real modules use. Over the 330 root modules of the bench
//! corpus (terraform-aws-modules, terraform-google-modules, Azure, terragoat), the costliest
//! (the EKS managed node group test, 140 resources through nested modules) takes 218,000
//! steps, about 1% of the budget, and the deepest nesting is 20 of the 400 allowed; none
//! comes near the other limits.

use super::value::V;
use std::cell::Cell;

/// The limits of one root module's evaluation (all its module instances together).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Evaluation steps: each expression evaluated, plus each element (and each 64 bytes of
    /// string) of a value that a function, a `for`, a template or a reference produces or
    /// copies. Bounds the time and the memory of the whole evaluation.
    pub max_steps: u64,
    /// How deep expressions may nest, counting through the locals, variables and module
    /// outputs they refer to (a chain of locals nests as deep as it is long).
    pub max_depth: usize,
    /// Elements (list items, map entries, scalars) of one value.
    pub max_value_elements: usize,
    /// Bytes of string in one value.
    pub max_value_bytes: usize,
    /// Elements `range()` may produce.
    pub max_range: usize,
    /// Instances one `resource` or `module` block may expand to (`count`, `for_each`).
    pub max_block_instances: usize,
    /// Resource and module instances of the whole root module, its modules included.
    pub max_root_instances: usize,
}

pub const DEFAULT_LIMITS: Limits = Limits {
    max_steps: 20_000_000,
    max_depth: 400,
    max_value_elements: 1_000_000,
    max_value_bytes: 16 << 20,
    max_range: 100_000,
    max_block_instances: 10_000,
    max_root_instances: 250_000,
};

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Steps,
    Depth,
    ValueElements,
    ValueBytes,
    Range,
}

impl Limit {
    /// How the notification names the limit, with its value.
    pub fn describe(self, l: &Limits) -> String {
        match self {
            Limit::Steps => format!(
                "the evaluation budget of {} steps for one root module",
                l.max_steps
            ),
            Limit::Depth => format!(
                "the nesting limit of {} (expressions, and the locals and module outputs they \
                 refer to)",
                l.max_depth
            ),
            Limit::ValueElements => {
                format!(
                    "the limit of {} elements in one value",
                    l.max_value_elements
                )
            }
            Limit::ValueBytes => {
                format!(
                    "the limit of {} bytes of text in one value",
                    l.max_value_bytes
                )
            }
            Limit::Range => format!("the limit of {} elements for range()", l.max_range),
        }
    }
}

/// A limit reached while evaluating an expression: which, and a few words on what reached it.
#[derive(Debug, Clone)]
pub struct Exceeded {
    pub limit: Limit,
    pub what: String,
}

/// The running cost of one root module's evaluation (or of one variable file).
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    steps: Cell<u64>,
    depth: Cell<usize>,
    instances: Cell<usize>,
    /// The step budget ran out and it was reported (once: after that every evaluation fails).
    pub steps_reported: Cell<bool>,
    /// The root's instance budget ran out and it was reported.
    pub instances_reported: Cell<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(DEFAULT_LIMITS)
    }
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            steps: Cell::new(0),
            depth: Cell::new(0),
            instances: Cell::new(0),
            steps_reported: Cell::new(false),
            instances_reported: Cell::new(false),
        }
    }

    /// Charges `n` steps; `false` when the budget is (now) spent.
    pub fn charge(&self, n: u64) -> bool {
        let total = self.steps.get().saturating_add(n);
        self.steps.set(total);
        total <= self.limits.max_steps
    }

    pub fn spent(&self) -> bool {
        self.steps.get() > self.limits.max_steps
    }

    #[cfg(test)]
    #[allow(dead_code)]
    pub fn steps(&self) -> u64 {
        self.steps.get()
    }

    /// Enters one level of nesting; `false` (and nothing entered) past the limit.
    pub fn enter(&self) -> bool {
        let d = self.depth.get();
        if d >= self.limits.max_depth {
            return false;
        }
        self.depth.set(d + 1);
        true
    }

    pub fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    /// How many instances the root's instance budget still has.
    pub fn instances_left(&self) -> usize {
        self.limits
            .max_root_instances
            .saturating_sub(self.instances.get())
    }

    /// Takes up to `wanted` instances from the root's instance budget: how many were granted.
    pub fn take_instances(&self, wanted: usize) -> usize {
        let used = self.instances.get();
        let granted = wanted.min(self.limits.max_root_instances.saturating_sub(used));
        self.instances.set(used + granted);
        granted
    }

    /// What copying or producing `v` costs, in steps.
    pub fn cost(v: &V) -> u64 {
        let (elements, bytes) = size(v, usize::MAX, usize::MAX);
        elements as u64 + bytes as u64 / 64
    }
}

/// Elements and string bytes of a value; stops counting once past either cap.
pub fn size(v: &V, max_elements: usize, max_bytes: usize) -> (usize, usize) {
    fn walk(v: &V, acc: &mut (usize, usize), caps: (usize, usize)) {
        if acc.0 > caps.0 || acc.1 > caps.1 {
            return;
        }
        acc.0 += 1;
        match v {
            V::Str(s) | V::Unknown(s) => acc.1 += s.len(),
            V::List(items) => {
                for i in items {
                    walk(i, acc, caps);
                }
            }
            V::Map(m) => {
                for (k, i) in m {
                    acc.1 += k.len();
                    walk(i, acc, caps);
                }
            }
            V::Null | V::Bool(_) | V::Num(_) => {}
        }
    }
    let mut acc = (0, 0);
    walk(v, &mut acc, (max_elements, max_bytes));
    acc
}
