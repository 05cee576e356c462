//! Where a value stands in a document: the one path type of the input layer. A leaf: errors,
//! the reader and the typed readers all build on it.

/// A chain of keys and indexes kept on the stack while a document is read, rendered as a path
/// (`steps[3].handoff.to`) only when something is wrong.
#[derive(Clone, Copy)]
pub struct At<'a> {
    parent: Option<&'a At<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> At<'a> {
    pub const ROOT: At<'static> = At { parent: None, segment: Segment::Root };

    pub fn key(&'a self, key: &'a str) -> At<'a> {
        At { parent: Some(self), segment: Segment::Key(key) }
    }

    pub fn index(&'a self, index: usize) -> At<'a> {
        At { parent: Some(self), segment: Segment::Index(index) }
    }

    pub fn path(&self) -> String {
        let mut segments = Vec::new();
        let mut here = Some(self);
        while let Some(at) = here {
            segments.push(at.segment);
            here = at.parent;
        }
        let mut path = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Root => {}
                Segment::Key(key) => path = join_path(&path, key),
                Segment::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        path
    }
}

/// `join_path("steps[2]", "id")` is `steps[2].id`; indexes and empty parts join without a dot.
pub fn join_path(outer: &str, inner: &str) -> String {
    if outer.is_empty() {
        inner.to_owned()
    } else if inner.is_empty() {
        outer.to_owned()
    } else if inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_only_when_asked() {
        let steps = At::ROOT.key("steps");
        let third = steps.index(3);
        let to = third.key("handoff");
        assert_eq!(to.key("to").path(), "steps[3].handoff.to");
        assert_eq!(At::ROOT.index(0).path(), "[0]");
        assert_eq!(At::ROOT.path(), "");
        assert_eq!(join_path("a", "[1]"), "a[1]");
        assert_eq!(join_path("", "b"), "b");
    }
}
