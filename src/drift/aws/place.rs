//! Where a finding points: the `resource` block (and attribute line) in the scanned `.tf`
//! files, else the resource in its state file, else nowhere (the finding still names the
//! resource's address and ARN).

use super::declared::Decl;
use super::findings::Place;
use super::hcl;
use crate::load::terraform::state::{StateFile, StateResource};
use crate::load::{Files, SourceFile};
use crate::model::{PathSeg, Pos, Region};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The places of a check's findings. The `.tf` files are parsed only when a finding needs a
/// place.
pub(super) struct Places<'a> {
    files: &'a dyn Files,
    states: &'a [StateFile],
    mapper: Option<hcl::HclMapper<'a>>,
    /// The root module of each state (by its number), once looked for.
    roots: BTreeMap<usize, Option<String>>,
    /// Findings with no matching `resource` block, per state (its origin).
    pub unmapped: BTreeMap<String, usize>,
    /// The files the findings point into, by path.
    pub files_out: BTreeMap<String, Arc<SourceFile>>,
}

impl<'a> Places<'a> {
    /// No place found yet, for the findings about `states` (whose `.tf` side is in `files`).
    pub fn new(files: &'a dyn Files, states: &'a [StateFile]) -> Self {
        Self {
            files,
            states,
            mapper: None,
            roots: BTreeMap::new(),
            unmapped: BTreeMap::new(),
            files_out: BTreeMap::new(),
        }
    }

    /// Where a finding about attribute `path` of `d` points.
    pub fn of(&mut self, d: &Decl, path: &[PathSeg]) -> Place {
        let files = self.files;
        let state = &self.states[d.state];
        let mapper = self
            .mapper
            .get_or_insert_with(|| hcl::HclMapper::new(files));
        let root = self
            .roots
            .entry(d.state)
            .or_insert_with(|| mapper.root_of(state))
            .clone();
        if let Some(dir) = root {
            let root = mapper.root(&dir);
            if let Some(doc) = root.doc(d.r) {
                let (file, region) = hcl::place(doc, path);
                self.files_out.insert(file.path.clone(), Arc::clone(&file));
                return Place {
                    file: file.path.clone(),
                    region,
                    via: doc
                        .subject
                        .as_ref()
                        .map(|s| s.via.clone())
                        .unwrap_or_default(),
                };
            }
        }
        *self.unmapped.entry(state.origin.clone()).or_default() += 1;
        if let Some(Ok(file)) = files.read(&state.origin) {
            let region = state_line(&file, d.r);
            self.files_out.insert(file.path.clone(), Arc::clone(&file));
            return Place {
                file: file.path.clone(),
                region,
                via: Vec::new(),
            };
        }
        Place {
            file: String::new(),
            region: Region {
                start: Pos::new(1, 1),
                end: Pos::new(1, 2),
            },
            via: Vec::new(),
        }
    }
}

/// The line of a resource in a state file's text, for findings that can only point there.
fn state_line(file: &SourceFile, r: &StateResource) -> Region {
    let ty = format!("\"type\": \"{}\"", r.ty);
    let name = format!("\"name\": \"{}\"", r.name);
    let text = &file.text;
    let mut at = 0usize;
    let mut found = None;
    while let Some(i) = text[at..].find(&ty) {
        let start = at + i;
        // The name follows the type within the same resource object.
        let window_end = text[start..]
            .find("\"instances\"")
            .map_or(text.len(), |j| start + j);
        if text[start..window_end].contains(&name)
            || text[..start].rfind(&name).is_some_and(|n| start - n < 200)
        {
            found = Some(start);
            break;
        }
        at = start + ty.len();
    }
    let start = file.pos(found.unwrap_or(0) as u32);
    let start = if found.is_some() {
        start
    } else {
        Pos::new(1, 1)
    };
    Region {
        start,
        end: Pos::new(start.line, start.column + 1),
    }
}
