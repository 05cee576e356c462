//! `#[derive(FromJson)]`: the reader of a handoff-engine wire type, from the one declaration
//! the type already has. The JSON names, defaults and variant names come from the serde
//! attributes that its `Serialize` uses, so what is read and what is written cannot drift; the
//! limits come from `#[json(…)]`, beside the field they bound.
//!
//! What it emits is what a careful hand reader would: one pass over the object in document
//! order, each field read straight into its slot, a duplicate, unknown or missing field named
//! with its path, and each field's limits checked as soon as it is read, so the first bad field
//! in the document is the one reported. Used only inside the `handoff-engine` crate (the code
//! it emits names `crate::input`).
//!
//! Attributes it reads:
//! - container: `#[serde(rename_all = "camelCase" | "lowercase")]`; `#[json(expected = "a step")]`
//!   (what the value is, in words; the field list is added to it, `?` marking the optional ones;
//!   a text that has its own `{` list is kept as it is).
//! - field: `#[serde(rename = "…")]`, `#[serde(default)]`, `#[serde(default = "path")]`;
//!   `#[json(default)]` / `#[json(default = expr)]` for a field that may be absent without
//!   serde knowing (so that the TypeScript declaration tsify derives stays as it is);
//!   `#[json(rename = …)]` and `#[json(rename_all = …)]` on types that serde does not write;
//!   `#[json(max = N)]` (entries of a list or map), `#[json(keys = check)]` (each key of a map,
//!   at the map's path), `#[json(each = check)]` (each entry, at its own path) and
//!   `#[json(check = check)]` (the whole value), where a check is a function
//!   `(&T, &At) -> Result<()>`. On an `Option` field the limits apply to the value when present.
//! - unit enums: each variant's name after `rename_all` / `rename`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, GenericArgument, Lit, Meta, PathArguments, Token, Type};

/// `into_owned(self) -> Self<'static>` for a type that borrows from the text it was read from
/// (an inherent method, and `crate::input::IntoOwned` for the types that hold it): each field
/// through `IntoOwned`, so that a new field needs no second edit.
#[proc_macro_derive(IntoOwned)]
pub fn derive_into_owned(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand_into_owned(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

fn expand_into_owned(input: &DeriveInput) -> syn::Result<Tokens> {
    let ty = &input.ident;
    let Some(param) = input.generics.lifetimes().next() else {
        return Err(syn::Error::new_spanned(ty, "IntoOwned: for a type with a lifetime"));
    };
    let lifetime = &param.lifetime;
    let Data::Struct(syn::DataStruct { fields: Fields::Named(fields), .. }) = &input.data else {
        return Err(syn::Error::new_spanned(ty, "IntoOwned: a struct with named fields"));
    };
    let idents: Vec<_> = fields.named.iter().filter_map(|f| f.ident.as_ref()).collect();
    Ok(quote! {
        impl<#lifetime> crate::input::IntoOwned for #ty<#lifetime> {
            type Static = #ty<'static>;
            fn into_owned(self) -> #ty<'static> {
                #ty { #(#idents: crate::input::IntoOwned::into_owned(self.#idents),)* }
            }
        }

        impl<#lifetime> #ty<#lifetime> {
            /// The same value, owning its strings.
            pub fn into_owned(self) -> #ty<'static> {
                <Self as crate::input::IntoOwned>::into_owned(self)
            }
        }
    })
}

mod to_json;

/// `#[derive(ToJson)]`: the type's JSON text as its serde attributes say (see `to_json`).
#[proc_macro_derive(ToJson)]
pub fn derive_to_json(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    to_json::expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

#[proc_macro_derive(FromJson, attributes(json))]
pub fn derive_from_json(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let container = Container::read(&input.attrs)?;
    let ty = &input.ident;
    let lifetimes: Vec<_> = input.generics.lifetimes().collect();
    if input.generics.type_params().next().is_some() || lifetimes.len() > 1 {
        return Err(syn::Error::new_spanned(&input.generics, "FromJson: at most one lifetime, and no type parameters"));
    }
    // A type that borrows from the text reads with the text's lifetime as its own.
    let (lifetime, ty_generics) = match lifetimes.first() {
        Some(param) => {
            let lifetime = &param.lifetime;
            (quote!(#lifetime), quote!(<#lifetime>))
        }
        None => (quote!('de), quote!()),
    };
    let body = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => read_struct(ty, &container, &fields.named)?,
            _ => return Err(syn::Error::new_spanned(ty, "FromJson: a struct needs named fields")),
        },
        Data::Enum(data) => read_unit_enum(ty, &container, data)?,
        Data::Union(_) => return Err(syn::Error::new_spanned(ty, "FromJson: unions are not read")),
    };
    Ok(quote! {
        impl<#lifetime> crate::input::FromJson<#lifetime> for #ty #ty_generics {
            fn read(
                reader: &mut crate::input::Reader<#lifetime>,
                at: &crate::input::At,
            ) -> crate::input::Result<Self> {
                #body
            }
        }
    })
}

/// What the container's attributes say.
#[derive(Default)]
struct Container {
    rename_all: Option<String>,
    expected: Option<String>,
}

impl Container {
    fn read(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut container = Container::default();
        for meta in metas(attrs, "serde")? {
            if let Some(("rename_all", value)) = name_value(&meta) {
                container.rename_all = Some(string(value)?);
            }
        }
        for meta in metas(attrs, "json")? {
            match name_value(&meta) {
                Some(("expected", value)) => container.expected = Some(string(value)?),
                Some(("rename_all", value)) => container.rename_all = Some(string(value)?),
                _ => {
                    return Err(syn::Error::new_spanned(meta, "FromJson: expected `expected = …` or `rename_all = …`"))
                }
            }
        }
        Ok(container)
    }

    fn json_name(&self, ident: &str, variant: bool) -> String {
        match self.rename_all.as_deref() {
            Some("camelCase") if variant => lower_first(ident),
            Some("camelCase") => camel(ident),
            Some("lowercase") => ident.to_lowercase(),
            _ => ident.to_owned(),
        }
    }

    /// "a step { id, name, clientFacing? }".
    fn expected(&self, ty: &str, fields: &[Field]) -> String {
        let noun = self.expected.clone().unwrap_or_else(|| words(ty));
        if noun.contains('{') || fields.is_empty() {
            return noun;
        }
        let names: Vec<String> =
            fields.iter().map(|f| if f.default.is_some() { format!("{}?", f.json) } else { f.json.clone() }).collect();
        format!("{noun} {{ {} }}", names.join(", "))
    }
}

/// One field and what its attributes say.
struct Field {
    ident: syn::Ident,
    ty: Type,
    json: String,
    /// The value when the field is absent; `None` when it is required.
    default: Option<Tokens>,
    max: Option<Expr>,
    keys: Option<Expr>,
    each: Option<Expr>,
    check: Option<Expr>,
}

impl Field {
    fn read(field: &syn::Field, container: &Container) -> syn::Result<Field> {
        let ident = field.ident.clone().ok_or_else(|| syn::Error::new_spanned(field, "FromJson: a named field"))?;
        let mut out = Field {
            json: container.json_name(&ident.to_string(), false),
            ident,
            ty: field.ty.clone(),
            default: None,
            max: None,
            keys: None,
            each: None,
            check: None,
        };
        for meta in metas(&field.attrs, "serde")? {
            match (&meta, name_value(&meta)) {
                (_, Some(("rename", value))) => out.json = string(value)?,
                (_, Some(("default", value))) => {
                    let path: syn::ExprPath = syn::parse_str(&string(value)?)?;
                    out.default = Some(quote!(#path()));
                }
                (Meta::Path(path), _) if path.is_ident("default") => out.default = Some(quote!(Default::default())),
                (Meta::Path(path), _) if path.is_ident("flatten") => {
                    return Err(syn::Error::new_spanned(path, "FromJson: flatten is not read"))
                }
                _ => {}
            }
        }
        for meta in metas(&field.attrs, "json")? {
            match (&meta, name_value(&meta)) {
                (Meta::Path(path), _) if path.is_ident("default") => out.default = Some(quote!(Default::default())),
                (_, Some(("default", value))) => out.default = Some(quote!(#value)),
                (_, Some(("rename", value))) => out.json = string(value)?,
                (_, Some(("max", value))) => out.max = Some(value.clone()),
                (_, Some(("keys", value))) => out.keys = Some(value.clone()),
                (_, Some(("each", value))) => out.each = Some(value.clone()),
                (_, Some(("check", value))) => out.check = Some(value.clone()),
                _ => {
                    return Err(syn::Error::new_spanned(
                        meta,
                        "FromJson: expected default, default = …, rename = …, max = …, keys = …, each = … or check = …",
                    ))
                }
            }
        }
        Ok(out)
    }

    /// The checks on the field's value once read, `value` bound to a reference to it.
    fn checks(&self) -> Tokens {
        let mut checks = Tokens::new();
        if let Some(max) = &self.max {
            checks.extend(quote!(crate::input::checked(crate::input::check_count(crate::input::Entries::count(value), #max, &here))?;));
        }
        if let Some(keys) = &self.keys {
            checks.extend(
                quote!(crate::input::checked(crate::input::Keys::keys(value, &here, |key, at| #keys(key, at)))?;),
            );
        }
        if let Some(each) = &self.each {
            checks.extend(
                quote!(crate::input::checked(crate::input::Entries::each(value, &here, |item, at| #each(item, at)))?;),
            );
        }
        if let Some(check) = &self.check {
            checks.extend(quote!(crate::input::checked(#check(value, &here))?;));
        }
        checks
    }
}

fn read_struct(
    ty: &syn::Ident,
    container: &Container,
    named: &Punctuated<syn::Field, Token![,]>,
) -> syn::Result<Tokens> {
    let fields = named.iter().map(|f| Field::read(f, container)).collect::<syn::Result<Vec<_>>>()?;
    let expected = container.expected(&ty.to_string(), &fields);
    let names: Vec<&String> = fields.iter().map(|f| &f.json).collect();
    let slots: Vec<syn::Ident> = fields.iter().map(|f| format_ident!("field_{}", f.ident)).collect();
    let types: Vec<&Type> = fields.iter().map(|f| &f.ty).collect();
    let arms = fields.iter().zip(&slots).map(|(field, slot)| {
        let json = &field.json;
        let checks = field.checks();
        if checks.is_empty() {
            return quote!(#json => crate::input::field(&mut #slot, reader, &here, name),);
        }
        let pattern = if option_inner(&field.ty).is_some() { quote!(Some(Some(value))) } else { quote!(Some(value)) };
        quote! {
            #json => {
                crate::input::field(&mut #slot, reader, &here, name)?;
                if let #pattern = &#slot {
                    #checks
                }
                Ok(())
            }
        }
    });
    let values = fields.iter().zip(&slots).map(|(field, slot)| {
        let ident = &field.ident;
        let json = &field.json;
        let absent = match &field.default {
            Some(default) => quote!(#default),
            None => quote!(return Err(crate::input::missing_field(at, #json))),
        };
        quote!(#ident: match #slot { Some(value) => value, None => #absent },)
    });
    Ok(quote! {
        const FIELDS: &[&str] = &[#(#names),*];
        #(let mut #slots: Option<#types> = None;)*
        crate::input::object(reader, at, #expected, |reader, name| {
            let here = at.key(name);
            match name {
                #(#arms)*
                _ => Err(crate::input::unknown_field(&here, name, FIELDS)),
            }
        })?;
        Ok(#ty { #(#values)* })
    })
}

fn read_unit_enum(ty: &syn::Ident, container: &Container, data: &syn::DataEnum) -> syn::Result<Tokens> {
    let mut variants = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(variant, "FromJson: only enums of unit variants are derived"));
        }
        let mut json = container.json_name(&variant.ident.to_string(), true);
        for meta in metas(&variant.attrs, "serde")? {
            if let Some(("rename", value)) = name_value(&meta) {
                json = string(value)?;
            }
        }
        let ident = &variant.ident;
        variants.push(quote!((#json, #ty::#ident)));
    }
    Ok(quote!(crate::input::variant(reader, at, &[#(#variants),*])))
}

/// The `T` of `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// The items of every `#[name(…)]` attribute.
fn metas(attrs: &[Attribute], name: &str) -> syn::Result<Vec<Meta>> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        out.extend(attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?);
    }
    Ok(out)
}

fn name_value(meta: &Meta) -> Option<(&'static str, &Expr)> {
    let Meta::NameValue(pair) = meta else { return None };
    let name = ["rename_all", "rename", "default", "expected", "max", "keys", "each", "check"]
        .into_iter()
        .find(|name| pair.path.is_ident(name))?;
    Some((name, &pair.value))
}

fn string(value: &Expr) -> syn::Result<String> {
    match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(text), .. }) => Ok(text.value()),
        _ => Err(syn::Error::new_spanned(value, "FromJson: expected a string literal")),
    }
}

/// `client_facing` → `clientFacing`.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `AwaitingHandoff` → `awaitingHandoff`.
fn lower_first(pascal: &str) -> String {
    let mut chars = pascal.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// `WorkflowDefinition` → "a workflow definition".
fn words(pascal: &str) -> String {
    let mut text = String::new();
    for c in pascal.chars() {
        if c.is_uppercase() && !text.is_empty() {
            text.push(' ');
        }
        text.extend(c.to_lowercase());
    }
    let article = if text.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {text}")
}
