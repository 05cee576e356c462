//! `#[derive(ToJson)]`: the writer of a handoff-engine type as JSON text, from the serde
//! attributes its `Serialize` already has, so that the two write the same text (a test holds them
//! to it). The WebAssembly writes with it: a straight walk that pushes onto one `String` is a
//! fraction of the code serde's serializer monomorphizes for every field type.
//!
//! Shapes it writes, as serde does:
//! - a struct with named fields: an object; `rename_all`, and on fields `rename`,
//!   `skip_serializing_if = "path"` and `flatten` (the members of a struct or tagged enum);
//! - an enum of unit variants: the variant's name after `rename_all` / `rename`;
//! - an internally tagged enum (`tag = "…"`) of struct and unit variants: an object with the tag
//!   first, then the variant's fields after `rename_all_fields`.
//!
//! Anything else is a compile error, so a new shape cannot be written wrongly without notice.

use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Meta};

use crate::{metas, name_value, string};

pub fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ty = &input.ident;
    if input.generics.type_params().next().is_some() {
        return Err(syn::Error::new_spanned(&input.generics, "ToJson: no type parameters"));
    }
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let attrs = Attrs::read(&input.attrs)?;
    let members = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => {
                let writes = fields
                    .named
                    .iter()
                    .map(|field| {
                        let ident =
                            field.ident.as_ref().ok_or_else(|| syn::Error::new_spanned(field, "a named field"))?;
                        write_field(field, quote!(&self.#ident), attrs.rename_all.as_deref(), false)
                    })
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!(#(#writes)*)
            }
            _ => return Err(syn::Error::new_spanned(ty, "ToJson: a struct needs named fields")),
        },
        Data::Enum(data) => match &attrs.tag {
            None => return unit_enum(input, &attrs, data),
            Some(tag) => tagged_enum(&attrs, tag, data)?,
        },
        Data::Union(_) => return Err(syn::Error::new_spanned(ty, "ToJson: unions are not written")),
    };
    Ok(quote! {
        impl #impl_generics crate::output::ToJson for #ty #ty_generics #where_clause {
            #[inline(never)]
            fn write_json(&self, out: &mut String) {
                let mut first = true;
                crate::output::push(out, '{');
                crate::output::Members::write_members(self, out, &mut first);
                crate::output::push(out, '}');
            }
        }

        impl #impl_generics crate::output::Members for #ty #ty_generics #where_clause {
            #[allow(unused_variables)]
            #[inline(never)]
            fn write_members(&self, out: &mut String, first: &mut bool) {
                #members
            }
        }
    })
}

/// The serde attributes of a container, a field or a variant that the text depends on.
#[derive(Default)]
struct Attrs {
    rename_all: Option<String>,
    rename_all_fields: Option<String>,
    tag: Option<String>,
    rename: Option<String>,
    skip_if: Option<syn::ExprPath>,
    flatten: bool,
}

impl Attrs {
    fn read(attrs: &[syn::Attribute]) -> syn::Result<Attrs> {
        let mut out = Attrs::default();
        for meta in metas(attrs, "serde")? {
            match (&meta, name_value(&meta)) {
                (_, Some(("rename_all", value))) => out.rename_all = Some(string(value)?),
                (_, Some(("rename", value))) => out.rename = Some(string(value)?),
                (_, Some(("default", _))) => {}
                (Meta::Path(path), _) if path.is_ident("default") => {}
                (Meta::Path(path), _) if path.is_ident("flatten") => out.flatten = true,
                (Meta::NameValue(pair), _) if pair.path.is_ident("tag") => out.tag = Some(string(&pair.value)?),
                (Meta::NameValue(pair), _) if pair.path.is_ident("rename_all_fields") => {
                    out.rename_all_fields = Some(string(&pair.value)?)
                }
                (Meta::NameValue(pair), _) if pair.path.is_ident("skip_serializing_if") => {
                    out.skip_if = Some(syn::parse_str(&string(&pair.value)?)?)
                }
                _ => return Err(syn::Error::new_spanned(meta, "ToJson: a serde attribute it does not write")),
            }
        }
        Ok(out)
    }
}

/// The writing of one field (`value` a reference to it) as a member, `key` first.
fn write_field(field: &syn::Field, value: Tokens, rename_all: Option<&str>, bound: bool) -> syn::Result<Tokens> {
    let attrs = Attrs::read(&field.attrs)?;
    let ident = field.ident.as_ref().ok_or_else(|| syn::Error::new_spanned(field, "a named field"))?;
    let value = if bound { quote!(#ident) } else { value };
    if attrs.flatten {
        return Ok(quote!(crate::output::Members::write_members(#value, out, first);));
    }
    let name = attrs.rename.unwrap_or_else(|| field_name(&ident.to_string(), rename_all));
    let key = format!("\"{name}\":");
    let write = quote! {
        crate::output::key(out, first, #key);
        crate::output::ToJson::write_json(#value, out);
    };
    Ok(match attrs.skip_if {
        Some(skip) => quote!(if !#skip(#value) { #write }),
        None => write,
    })
}

fn unit_enum(input: &DeriveInput, attrs: &Attrs, data: &syn::DataEnum) -> syn::Result<Tokens> {
    let ty = &input.ident;
    let arms = data
        .variants
        .iter()
        .map(|variant| {
            if !matches!(variant.fields, Fields::Unit) {
                return Err(syn::Error::new_spanned(variant, "ToJson: an untagged enum of unit variants only"));
            }
            let name = variant_name(variant, attrs.rename_all.as_deref())?;
            let text = format!("\"{name}\"");
            let ident = &variant.ident;
            Ok(quote!(#ty::#ident => #text,))
        })
        .collect::<syn::Result<Vec<_>>>()?;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics crate::output::ToJson for #ty #ty_generics #where_clause {
            #[inline(never)]
            fn write_json(&self, out: &mut String) {
                out.push_str(match self { #(#arms)* });
            }
        }
    })
}

fn tagged_enum(attrs: &Attrs, tag: &str, data: &syn::DataEnum) -> syn::Result<Tokens> {
    let arms = data
        .variants
        .iter()
        .map(|variant| {
            let ident = &variant.ident;
            let name = variant_name(variant, attrs.rename_all.as_deref())?;
            let head = format!("\"{tag}\":\"{name}\"");
            let write_tag = quote!(crate::output::key(out, first, #head););
            match &variant.fields {
                Fields::Unit => Ok(quote!(Self::#ident => { #write_tag })),
                Fields::Named(fields) => {
                    let idents: Vec<_> = fields.named.iter().filter_map(|f| f.ident.as_ref()).collect();
                    let writes = fields
                        .named
                        .iter()
                        .map(|field| write_field(field, Tokens::new(), attrs.rename_all_fields.as_deref(), true))
                        .collect::<syn::Result<Vec<_>>>()?;
                    Ok(quote!(Self::#ident { #(#idents),* } => { #write_tag #(#writes)* }))
                }
                Fields::Unnamed(_) => {
                    Err(syn::Error::new_spanned(variant, "ToJson: a tagged enum's variants have named fields"))
                }
            }
        })
        .collect::<syn::Result<Vec<_>>>()?;
    Ok(quote!(match self { #(#arms)* }))
}

fn variant_name(variant: &syn::Variant, rename_all: Option<&str>) -> syn::Result<String> {
    let attrs = Attrs::read(&variant.attrs)?;
    let ident = variant.ident.to_string();
    Ok(attrs.rename.unwrap_or_else(|| match rename_all {
        Some("camelCase") => crate::lower_first(&ident),
        Some("lowercase") => ident.to_lowercase(),
        Some("kebab-case") => {
            let mut out = String::new();
            for (i, c) in ident.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push('-');
                }
                out.extend(c.to_lowercase());
            }
            out
        }
        _ => ident,
    }))
}

fn field_name(ident: &str, rename_all: Option<&str>) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    match rename_all {
        Some("camelCase") => crate::camel(ident),
        Some("lowercase") => ident.to_lowercase(),
        Some("kebab-case") => ident.replace('_', "-"),
        _ => ident.to_owned(),
    }
}
