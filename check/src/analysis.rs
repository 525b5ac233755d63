//! What the code rules share: which classes are Durable Objects, where a node sits (which class,
//! which method), and what an expression stands for once aliases are followed through
//! oxc_semantic's symbols (`const s = this.ctx.storage; s.put(...)` is a storage write).

use crate::config::{BindingKind, Config};
use oxc_ast::ast::{
    Argument, AssignmentExpression, AwaitExpression, BindingPattern, CallExpression, Class,
    ClassElement, Expression, MethodDefinitionKind, PropertyKey, StaticMemberExpression,
    TSTypeReference, TaggedTemplateExpression,
};
use oxc_ast::AstKind;
use oxc_semantic::{NodeId, Semantic};
use oxc_span::{GetSpan, Span};

/// What a class is to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ObjectKind {
    Plain,
    /// `extends DurableObject`, or bound as a Durable Object class in the configuration.
    DurableObject,
    /// `extends DurableCore` (durable-core's base class).
    DurableCore,
}

/// A class of the file.
#[derive(Debug, Clone)]
pub struct ClassInfo {
    pub node_id: NodeId,
    pub name: Option<String>,
    pub kind: ObjectKind,
    pub span: Span,
    pub uses_sql: bool,
}

impl ClassInfo {
    pub fn is_object(&self) -> bool {
        self.kind != ObjectKind::Plain
    }
}

/// One file under review, with its parsed program and symbols.
pub struct FileCtx<'s, 'a> {
    pub path: &'s str,
    pub text: &'a str,
    pub semantic: &'s Semantic<'a>,
    pub config: &'s Config,
    pub classes: Vec<ClassInfo>,
    /// Every `<receiver>.<method>(...)` call of the file, read once for all rules.
    calls: Vec<MethodCall<'a>>,
    /// `this.<field> = <value>` in an object's constructor, for fields assigned nowhere else:
    /// `this.storage = state.storage` makes `this.storage.put(...)` a storage write.
    field_aliases: Vec<(NodeId, String, &'a Expression<'a>)>,
    /// The nodes of the kinds the rules look for, in source order, gathered in one pass.
    nodes: NodesOfInterest<'a>,
}

/// The nodes of the kinds the rules read, in the order `Semantic::nodes` holds them: one pass
/// over the nodes gathers them for every rule.
#[derive(Default)]
struct NodesOfInterest<'a> {
    classes: Vec<(NodeId, &'a Class<'a>)>,
    assignments: Vec<(NodeId, &'a AssignmentExpression<'a>)>,
    /// `<object>.sql`
    sql_members: Vec<(NodeId, &'a StaticMemberExpression<'a>)>,
    calls: Vec<(NodeId, &'a CallExpression<'a>)>,
    awaits: Vec<(NodeId, &'a AwaitExpression<'a>)>,
    tagged_templates: Vec<(NodeId, &'a TaggedTemplateExpression<'a>)>,
    type_references: Vec<(NodeId, &'a TSTypeReference<'a>)>,
}

impl<'a> NodesOfInterest<'a> {
    fn gather(semantic: &Semantic<'a>) -> Self {
        let mut found = NodesOfInterest::default();
        for node in semantic.nodes().iter() {
            let id = node.id();
            match node.kind() {
                AstKind::Class(class) => found.classes.push((id, class)),
                AstKind::AssignmentExpression(assign) => found.assignments.push((id, assign)),
                AstKind::StaticMemberExpression(member) if member.property.name == "sql" => {
                    found.sql_members.push((id, member));
                }
                AstKind::CallExpression(call) => found.calls.push((id, call)),
                AstKind::AwaitExpression(a) => found.awaits.push((id, a)),
                AstKind::TaggedTemplateExpression(t) => found.tagged_templates.push((id, t)),
                AstKind::TSTypeReference(r) => found.type_references.push((id, r)),
                _ => {}
            }
        }
        found
    }
}

/// A class member (method or arrow-function field) that encloses a node.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub node_id: NodeId,
    pub is_constructor: bool,
    pub is_static: bool,
    /// The member's function (`Function` or `ArrowFunctionExpression`) node.
    pub function: Option<NodeId>,
}

impl<'s, 'a> FileCtx<'s, 'a> {
    pub fn new(
        path: &'s str,
        text: &'a str,
        semantic: &'s Semantic<'a>,
        config: &'s Config,
    ) -> Self {
        let mut ctx = FileCtx {
            path,
            text,
            semantic,
            config,
            classes: Vec::new(),
            calls: Vec::new(),
            field_aliases: Vec::new(),
            nodes: NodesOfInterest::gather(semantic),
        };
        ctx.classes = ctx.find_classes();
        ctx.field_aliases = ctx.find_field_aliases();
        ctx.mark_sql_classes();
        ctx.calls = ctx.collect_calls();
        ctx
    }

    pub fn kind(&self, id: NodeId) -> AstKind<'a> {
        self.semantic.nodes().kind(id)
    }

    /// Every call expression of the file, in source order.
    pub fn all_calls(&self) -> impl Iterator<Item = (NodeId, &'a CallExpression<'a>)> + '_ {
        self.nodes.calls.iter().copied()
    }

    /// Every `await` of the file, in source order.
    pub fn awaits(&self) -> impl Iterator<Item = (NodeId, &'a AwaitExpression<'a>)> + '_ {
        self.nodes.awaits.iter().copied()
    }

    /// Every tagged template of the file, in source order.
    pub fn tagged_templates(
        &self,
    ) -> impl Iterator<Item = (NodeId, &'a TaggedTemplateExpression<'a>)> + '_ {
        self.nodes.tagged_templates.iter().copied()
    }

    /// Every type reference of the file, in source order.
    pub fn type_references(&self) -> impl Iterator<Item = (NodeId, &'a TSTypeReference<'a>)> + '_ {
        self.nodes.type_references.iter().copied()
    }

    fn find_classes(&self) -> Vec<ClassInfo> {
        let mut classes = Vec::new();
        for &(node_id, class) in &self.nodes.classes {
            let name = class.id.as_ref().map(|id| id.name.to_string());
            let kind = self.class_kind(class, name.as_deref());
            let mut info = ClassInfo {
                node_id,
                name,
                kind,
                span: class.span,
                uses_sql: false,
            };
            info.uses_sql = kind == ObjectKind::DurableCore;
            classes.push(info);
        }
        classes
    }

    fn find_field_aliases(&self) -> Vec<(NodeId, String, &'a Expression<'a>)> {
        let mut assigned: Vec<(NodeId, String)> = Vec::new();
        let mut in_constructor = Vec::new();
        for &(node_id, assign) in &self.nodes.assignments {
            let oxc_ast::ast::AssignmentTarget::StaticMemberExpression(target) = &assign.left
            else {
                continue;
            };
            if !matches!(target.object, Expression::ThisExpression(_)) {
                continue;
            }
            let Some(class) = self.class_of_node(node_id) else {
                continue;
            };
            let field = target.property.name.to_string();
            assigned.push((class, field.clone()));
            let top_level = matches!(
                self.semantic.nodes().parent_kind(node_id),
                AstKind::ExpressionStatement(_)
            ) && self
                .member_of(node_id)
                .is_some_and(|m| m.is_constructor && self.function_of(node_id) == m.function);
            if top_level
                && assign.operator == oxc_syntax::operator::AssignmentOperator::Assign
                && self.class_info(class).is_some_and(ClassInfo::is_object)
            {
                in_constructor.push((class, field, &assign.right));
            }
        }
        in_constructor.retain(|(class, field, _)| {
            assigned
                .iter()
                .filter(|(c, f)| c == class && f == field)
                .count()
                == 1
        });
        in_constructor
    }

    fn mark_sql_classes(&mut self) {
        let mut classes = std::mem::take(&mut self.classes);
        // `ctx.storage.sql` anywhere inside the class.
        for &(node_id, member) in &self.nodes.sql_members {
            let Some(path) = self.path(&member.object) else {
                continue;
            };
            if storage_rest(&path).is_some_and(|rest| rest.is_empty()) {
                if let Some(class) = self.class_of_node(node_id) {
                    if let Some(info) = classes.iter_mut().find(|c| c.node_id == class) {
                        info.uses_sql = true;
                    }
                }
            }
        }
        self.classes = classes;
    }

    fn class_kind(&self, class: &Class<'a>, name: Option<&str>) -> ObjectKind {
        let superclass = class
            .heritage
            .as_ref()
            .and_then(|h| self.imported_name(&h.expression));
        match superclass.as_deref() {
            Some("DurableCore") => return ObjectKind::DurableCore,
            Some("DurableObject") => return ObjectKind::DurableObject,
            _ => {}
        }
        let bound =
            name.is_some_and(|n| self.config.bindings.iter().any(|b| b.class_name.value == n));
        if bound {
            ObjectKind::DurableObject
        } else {
            ObjectKind::Plain
        }
    }

    /// The name an identifier was imported under (`import { DurableObject as DO }` gives
    /// `DurableObject` for `DO`), or its own name.
    pub fn imported_name(&self, expr: &Expression<'a>) -> Option<String> {
        let Expression::Identifier(id) = expr.without_parentheses() else {
            return None;
        };
        if let Some(symbol) = self.symbol(id.reference_id.get()) {
            let decl = self.semantic.scoping().symbol_declaration(symbol);
            if let AstKind::ImportSpecifier(spec) = self.kind(decl) {
                return Some(spec.imported.name().to_string());
            }
        }
        Some(id.name.to_string())
    }

    fn symbol(
        &self,
        reference: Option<oxc_semantic::ReferenceId>,
    ) -> Option<oxc_semantic::SymbolId> {
        self.semantic
            .scoping()
            .get_reference(reference?)
            .symbol_id()
    }

    /// The nearest class enclosing `id` (the class node itself excluded).
    pub fn class_of_node(&self, id: NodeId) -> Option<NodeId> {
        self.semantic
            .nodes()
            .ancestors(id)
            .skip(1)
            .find(|n| matches!(n.kind(), AstKind::Class(_)))
            .map(|n| n.id())
    }

    /// The Durable Object class enclosing `id`, if any.
    pub fn object_class(&self, id: NodeId) -> Option<&ClassInfo> {
        let class = self.class_of_node(id)?;
        self.classes
            .iter()
            .find(|c| c.node_id == class && c.is_object())
    }

    pub fn class_info(&self, id: NodeId) -> Option<&ClassInfo> {
        self.classes.iter().find(|c| c.node_id == id)
    }

    /// The class member enclosing `id`: the method or field whose parent is the class body.
    pub fn member_of(&self, id: NodeId) -> Option<Member> {
        for node in self.semantic.nodes().ancestors(id) {
            match node.kind() {
                AstKind::MethodDefinition(m) => {
                    return Some(Member {
                        name: key_name(&m.key).unwrap_or_default(),
                        node_id: node.id(),
                        is_constructor: m.kind == MethodDefinitionKind::Constructor,
                        is_static: m.r#static,
                        function: Some(m.value.node_id.get()),
                    });
                }
                AstKind::PropertyDefinition(p) => {
                    let function = match &p.value {
                        Some(Expression::ArrowFunctionExpression(f)) => Some(f.node_id.get()),
                        Some(Expression::FunctionExpression(f)) => Some(f.node_id.get()),
                        _ => None,
                    };
                    return Some(Member {
                        name: key_name(&p.key).unwrap_or_default(),
                        node_id: node.id(),
                        is_constructor: false,
                        is_static: p.r#static,
                        function,
                    });
                }
                AstKind::StaticBlock(_) | AstKind::Class(_) => return None,
                _ => {}
            }
        }
        None
    }

    /// The nearest function (declaration, expression or arrow) enclosing `id`.
    pub fn function_of(&self, id: NodeId) -> Option<NodeId> {
        self.semantic
            .nodes()
            .ancestors(id)
            .skip(1)
            .find(|n| {
                matches!(
                    n.kind(),
                    AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
                )
            })
            .map(|n| n.id())
    }

    /// True when `id` lies inside `ancestor`.
    pub fn is_inside(&self, id: NodeId, ancestor: NodeId) -> bool {
        self.semantic
            .nodes()
            .ancestor_ids(id)
            .any(|a| a == ancestor)
    }

    /// What `expr` stands for as a chain of property names from a root, following `const`
    /// aliases and destructuring: `this.ctx.storage` and `s` after `const s = this.ctx.storage`
    /// both give `["this", "ctx", "storage"]`. The first two parameters of a Durable Object's
    /// constructor read as `this.ctx` and `this.env`.
    pub fn path(&self, expr: &Expression<'a>) -> Option<Vec<String>> {
        self.path_at_depth(expr, 0)
    }

    fn path_at_depth(&self, expr: &Expression<'a>, depth: u32) -> Option<Vec<String>> {
        if depth > 8 {
            return None;
        }
        match expr.without_parentheses() {
            Expression::ThisExpression(_) => Some(vec!["this".into()]),
            Expression::StaticMemberExpression(m) => {
                if matches!(m.object, Expression::ThisExpression(_)) {
                    if let Some(value) = self.field_alias(m.node_id.get(), m.property.name.as_str())
                    {
                        return self.path_at_depth(value, depth + 1);
                    }
                }
                let mut path = self.path_at_depth(&m.object, depth + 1)?;
                path.push(m.property.name.to_string());
                Some(path)
            }
            Expression::ChainExpression(chain) => {
                let member = chain.expression.as_member_expression()?;
                let mut path = self.path_at_depth(member.object(), depth + 1)?;
                path.push(member.static_property_name()?.to_string());
                Some(path)
            }
            Expression::TSAsExpression(e) => self.path_at_depth(&e.expression, depth + 1),
            Expression::TSNonNullExpression(e) => self.path_at_depth(&e.expression, depth + 1),
            Expression::Identifier(id) => {
                let Some(symbol) = self.symbol(id.reference_id.get()) else {
                    return Some(vec![id.name.to_string()]);
                };
                let scoping = self.semantic.scoping();
                if scoping.symbol_is_mutated(symbol) {
                    return Some(vec![id.name.to_string()]);
                }
                let decl = scoping.symbol_declaration(symbol);
                match self.kind(decl) {
                    AstKind::VariableDeclarator(d) => {
                        let init = d.init.as_ref()?;
                        match &d.id {
                            BindingPattern::BindingIdentifier(_) => {
                                self.path_at_depth(init, depth + 1)
                            }
                            BindingPattern::ObjectPattern(pattern) => {
                                let mut path = self.path_at_depth(init, depth + 1)?;
                                let property = pattern.properties.iter().find(|p| {
                                    p.value
                                        .get_binding_identifier()
                                        .is_some_and(|b| b.name == id.name)
                                })?;
                                path.push(key_name(&property.key)?);
                                Some(path)
                            }
                            _ => None,
                        }
                    }
                    AstKind::FormalParameter(param) => {
                        Some(self.parameter_path(decl, param, id.name.as_str()))
                    }
                    _ => Some(vec![id.name.to_string()]),
                }
            }
            _ => None,
        }
    }

    fn parameter_path(
        &self,
        decl: NodeId,
        param: &oxc_ast::ast::FormalParameter<'a>,
        name: &str,
    ) -> Vec<String> {
        let nodes = self.semantic.nodes();
        let params = nodes.parent_node(decl);
        if let AstKind::FormalParameters(list) = params.kind() {
            let index = list.items.iter().position(|p| p.span == param.span);
            let function = nodes.parent_node(params.id());
            let method = nodes.parent_node(function.id());
            if let AstKind::MethodDefinition(m) = method.kind() {
                if m.kind == MethodDefinitionKind::Constructor
                    && self.object_class(method.id()).is_some()
                {
                    match index {
                        Some(0) => return vec!["this".into(), "ctx".into()],
                        Some(1) => return vec!["this".into(), "env".into()],
                        _ => {}
                    }
                }
            }
        }
        vec![name.to_owned()]
    }

    fn field_alias(&self, at: NodeId, field: &str) -> Option<&'a Expression<'a>> {
        if self.field_aliases.is_empty() {
            return None;
        }
        let class = self.class_of_node(at)?;
        self.field_aliases
            .iter()
            .find(|(c, f, _)| *c == class && f == field)
            .map(|(_, _, v)| *v)
    }

    /// The configured binding an expression reads (`this.env.KV`, `env.KV`, an alias of them).
    pub fn binding_of(&self, expr: &Expression<'a>) -> Option<(String, BindingKind)> {
        let path = self.path(expr)?;
        let name = env_rest(&path)?.first()?;
        Some((name.clone(), self.config.resource(name)?))
    }

    /// True when `expr` is a Durable Object stub: `<namespace>.get(...)`/`getByName(...)` on a
    /// Durable Object binding, or a `const` holding one.
    pub fn is_stub(&self, expr: &Expression<'a>) -> bool {
        self.is_stub_at_depth(expr, 0)
    }

    fn is_stub_at_depth(&self, expr: &Expression<'a>, depth: u32) -> bool {
        if depth > 8 {
            return false;
        }
        match expr.without_parentheses() {
            Expression::CallExpression(call) => {
                let Some(member) = call.callee.get_member_expr() else {
                    return false;
                };
                let Some(method) = member.static_property_name() else {
                    return false;
                };
                if method != "get" && method != "getByName" {
                    return false;
                }
                matches!(
                    self.binding_of(member.object()),
                    Some((_, BindingKind::DurableObject))
                )
            }
            Expression::AwaitExpression(a) => self.is_stub_at_depth(&a.argument, depth + 1),
            Expression::Identifier(id) => {
                let Some(symbol) = self.symbol(id.reference_id.get()) else {
                    return false;
                };
                let scoping = self.semantic.scoping();
                if scoping.symbol_is_mutated(symbol) {
                    return false;
                }
                match self.kind(scoping.symbol_declaration(symbol)) {
                    AstKind::VariableDeclarator(d) => {
                        matches!(d.id, BindingPattern::BindingIdentifier(_))
                            && d.init
                                .as_ref()
                                .is_some_and(|i| self.is_stub_at_depth(i, depth + 1))
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The value a `const` identifier was initialised with, for literal rules.
    pub fn const_init(&self, expr: &'a Expression<'a>) -> Option<&'a Expression<'a>> {
        let Expression::Identifier(id) = expr.without_parentheses() else {
            return None;
        };
        let symbol = self.symbol(id.reference_id.get())?;
        let scoping = self.semantic.scoping();
        if scoping.symbol_is_mutated(symbol) {
            return None;
        }
        match self.kind(scoping.symbol_declaration(symbol)) {
            AstKind::VariableDeclarator(d)
                if matches!(d.id, BindingPattern::BindingIdentifier(_)) =>
            {
                d.init.as_ref()
            }
            _ => None,
        }
    }

    /// The literal string `expr` always is (a string literal, a template without holes, a
    /// `const` holding one, or a `+` of those), if it is one.
    pub fn static_string(&self, expr: &'a Expression<'a>) -> Option<String> {
        self.static_string_at_depth(expr, 0)
    }

    fn static_string_at_depth(&self, expr: &'a Expression<'a>, depth: u32) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match expr.without_parentheses() {
            Expression::StringLiteral(s) => Some(s.value.to_string()),
            Expression::TemplateLiteral(t) => {
                let mut text = String::new();
                for (i, quasi) in t.quasis.iter().enumerate() {
                    text.push_str(quasi.value.cooked.as_ref()?.as_str());
                    if let Some(e) = t.expressions.get(i) {
                        text.push_str(&self.static_string_at_depth(e, depth + 1)?);
                    }
                }
                Some(text)
            }
            Expression::NumericLiteral(n) => Some(n.value.to_string()),
            Expression::BinaryExpression(b)
                if b.operator == oxc_syntax::operator::BinaryOperator::Addition =>
            {
                Some(
                    self.static_string_at_depth(&b.left, depth + 1)?
                        + &self.static_string_at_depth(&b.right, depth + 1)?,
                )
            }
            Expression::Identifier(_) => {
                self.static_string_at_depth(self.const_init(expr)?, depth + 1)
            }
            Expression::TSAsExpression(e) => self.static_string_at_depth(&e.expression, depth + 1),
            _ => None,
        }
    }

    /// Calls in the file whose callee is `<receiver>.<method>(...)`, with the receiver's path.
    pub fn method_calls(&self) -> impl Iterator<Item = &MethodCall<'a>> + '_ {
        self.calls.iter()
    }

    fn collect_calls(&self) -> Vec<MethodCall<'a>> {
        self.nodes
            .calls
            .iter()
            .filter_map(|&(node_id, call)| {
                let member = call.callee.without_parentheses().get_member_expr()?;
                let method = member.static_property_name()?;
                Some(MethodCall {
                    node_id,
                    call,
                    method: method.to_string(),
                    receiver: self.path(member.object()),
                    receiver_expr: member.object(),
                })
            })
            .collect()
    }

    /// Calls `<receiver>.<method>(...)` whose method is one of `methods` and whose receiver
    /// `on` accepts ([`is_ctx`], [`is_storage`], a rule's own test): where most code rules start.
    pub fn calls_to<'c>(
        &'c self,
        methods: &'c [&str],
        on: fn(&[String]) -> bool,
    ) -> impl Iterator<Item = &'c MethodCall<'a>> + 'c {
        self.calls.iter().filter(move |c| {
            methods.contains(&c.method.as_str()) && c.receiver.as_deref().is_some_and(on)
        })
    }

    /// Calls of `storage.<method>(...)` (the object's `ctx.storage`, through any alias).
    pub fn storage_calls(&self) -> impl Iterator<Item = &MethodCall<'a>> + '_ {
        self.method_calls()
            .filter(|c| c.receiver.as_deref().is_some_and(is_storage))
    }

    /// The call's argument at `index` and the literal string it always is, when it is one
    /// (see [`FileCtx::static_string`]).
    pub fn static_argument(
        &self,
        call: &MethodCall<'a>,
        index: usize,
    ) -> Option<(&'a Expression<'a>, String)> {
        let argument = call.argument(index)?;
        Some((argument, self.static_string(argument)?))
    }

    /// Calls of `storage.sql.exec(...)`.
    pub fn sql_exec_calls(&self) -> impl Iterator<Item = &MethodCall<'a>> + '_ {
        self.method_calls().filter(|c| {
            c.method == "exec"
                && c.receiver
                    .as_deref()
                    .and_then(storage_rest)
                    .is_some_and(|r| r.len() == 1 && r.first().is_some_and(|s| s == "sql"))
        })
    }

    /// Calls of a global function (`setTimeout`, `fetch`): the name resolves to no symbol.
    pub fn is_global_call(&self, callee: &Expression<'a>, name: &str) -> bool {
        match callee.without_parentheses() {
            Expression::Identifier(id) => {
                id.name == name && self.symbol(id.reference_id.get()).is_none()
            }
            Expression::StaticMemberExpression(m) => {
                m.property.name == name
                    && matches!(&m.object, Expression::Identifier(o) if o.name == "globalThis")
            }
            _ => false,
        }
    }

    /// The members called `name` of every `DurableCore` class of the file.
    pub fn core_members_named<'c>(
        &'c self,
        name: &'c str,
    ) -> impl Iterator<Item = &'a ClassElement<'a>> + 'c {
        self.classes
            .iter()
            .filter(|c| c.kind == ObjectKind::DurableCore)
            .flat_map(move |class| {
                self.class_members(class.node_id)
                    .into_iter()
                    .filter(move |(n, _)| n == name)
                    .map(|(_, element)| element)
            })
    }

    /// The members of a class body by name.
    pub fn class_members(&self, class_id: NodeId) -> Vec<(String, &'a ClassElement<'a>)> {
        let AstKind::Class(class) = self.kind(class_id) else {
            return Vec::new();
        };
        class
            .body
            .body
            .iter()
            .filter_map(|element| {
                let name = match element {
                    ClassElement::MethodDefinition(m) => key_name(&m.key)?,
                    ClassElement::PropertyDefinition(p) => key_name(&p.key)?,
                    ClassElement::AccessorProperty(p) => key_name(&p.key)?,
                    _ => return None,
                };
                Some((name, element))
            })
            .collect()
    }
}

/// A `<receiver>.<method>(...)` call.
pub struct MethodCall<'a> {
    pub node_id: NodeId,
    pub call: &'a oxc_ast::ast::CallExpression<'a>,
    pub method: String,
    pub receiver: Option<Vec<String>>,
    pub receiver_expr: &'a Expression<'a>,
}

impl<'a> MethodCall<'a> {
    pub fn span(&self) -> Span {
        self.call.span
    }

    /// The span a finding about the call reports (see [`call_name_span`]).
    pub fn name_span(&self) -> Span {
        call_name_span(self.call)
    }

    /// The argument at `index`, unless it is absent or spread (`...args`).
    pub fn argument(&self, index: usize) -> Option<&'a Expression<'a>> {
        match self.call.arguments.get(index)? {
            Argument::SpreadElement(_) => None,
            other => other.as_expression(),
        }
    }
}

/// A property key's name (`#field` included, with its `#`).
pub fn key_name(key: &PropertyKey) -> Option<String> {
    match key {
        PropertyKey::PrivateIdentifier(p) => Some(format!("#{}", p.name)),
        other => other.static_name().map(|n| n.to_string()),
    }
}

/// True when `path` is the object's `ctx` (`this.ctx`, `this.state`, or a parameter named
/// `ctx`/`state`).
pub fn is_ctx(path: &[String]) -> bool {
    ctx_len(path).is_some_and(|n| n == path.len())
}

fn ctx_len(path: &[String]) -> Option<usize> {
    match path {
        [this, ctx, ..] if this == "this" && (ctx == "ctx" || ctx == "state") => Some(2),
        [ctx, ..] if ctx == "ctx" || ctx == "state" => Some(1),
        _ => None,
    }
}

/// True when `path` is the object's `ctx.storage` itself.
pub fn is_storage(path: &[String]) -> bool {
    storage_rest(path).is_some_and(<[String]>::is_empty)
}

/// What follows `ctx.storage` in `path`, if `path` goes through it.
pub fn storage_rest(path: &[String]) -> Option<&[String]> {
    let n = ctx_len(path)?;
    match path.get(n..)? {
        [storage, rest @ ..] if storage == "storage" => Some(rest),
        _ => None,
    }
}

/// What follows `env` in `path` (`this.env.X`, `env.X`).
pub fn env_rest(path: &[String]) -> Option<&[String]> {
    match path {
        [this, env, rest @ ..] if this == "this" && env == "env" => Some(rest),
        [env, rest @ ..] if env == "env" => Some(rest),
        _ => None,
    }
}

/// The span to report for a call: its callee's property name when there is one, so that the
/// code frame points at `setAlarm` rather than at a long receiver.
pub fn call_name_span(call: &oxc_ast::ast::CallExpression) -> Span {
    match call.callee.without_parentheses() {
        Expression::StaticMemberExpression(m) => Span::new(m.property.span.start, call.span.end),
        other => Span::new(other.span().start, call.span.end),
    }
}

/// What kind of I/O an awaited expression is, when it is I/O outside the object's own storage:
/// `fetch`, a call on a Durable Object stub, a call on a configured binding (KV, R2, D1, a
/// service, a queue), or a timer promise. `None` for everything else (storage calls, plain
/// values, functions of the user's own whose effect is unknown).
impl<'a> FileCtx<'_, 'a> {
    pub fn io_kind(&self, expr: &Expression<'a>) -> Option<String> {
        let expr = expr.without_parentheses();
        if let Expression::NewExpression(new) = expr {
            let text = new.span.source_text(self.text);
            if matches!(&new.callee, Expression::Identifier(id) if id.name == "Promise")
                && (text.contains("setTimeout") || text.contains("setInterval"))
            {
                return Some("a timer".into());
            }
            return None;
        }
        let Expression::CallExpression(call) = expr else {
            return None;
        };
        if self.is_global_call(&call.callee, "fetch") {
            return Some("fetch()".into());
        }
        let member = call.callee.without_parentheses().get_member_expr()?;
        if member.static_property_name() == Some("wait")
            && matches!(member.object(), Expression::Identifier(id) if id.name == "scheduler")
        {
            return Some("a timer (scheduler.wait)".into());
        }
        // Descend a call chain (`env.DB.prepare(q).bind(x).all()`) to its first receiver.
        let mut receiver = member.object();
        loop {
            if self.is_stub(receiver) {
                return Some("an RPC call to another Durable Object".into());
            }
            match receiver.without_parentheses() {
                Expression::CallExpression(inner) => {
                    match inner.callee.without_parentheses().get_member_expr() {
                        Some(m) => receiver = m.object(),
                        None => return None,
                    }
                }
                _ => break,
            }
        }
        let (name, kind) = self.binding_of(receiver)?;
        if kind == crate::config::BindingKind::DurableObject {
            return None;
        }
        Some(format!("{} (`{name}`)", kind.describe()))
    }
}
