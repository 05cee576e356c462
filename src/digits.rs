//! Writing a number's decimal digits without the formatting machinery, which costs a virtual
//! call per piece and shows in profiles of the WebAssembly build where results hold thousands
//! of numbers and paths.

/// Appends `n` in decimal to `out`.
pub(crate) fn push(out: &mut String, n: usize) {
    push_u64(out, n as u64);
}

/// Appends `n` in decimal to `out` (WebAssembly has 64-bit arithmetic: one routine for both).
pub(crate) fn push_u64(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(digit) = digits.get_mut(at) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_what_display_writes() {
        for n in [0, 7, 10, 99, 100, 12_345, usize::MAX] {
            let mut out = String::from("x");
            super::push(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
        for n in [0, 4_294_967_296, (1 << 53) - 1, u64::MAX] {
            let mut out = String::new();
            super::push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
