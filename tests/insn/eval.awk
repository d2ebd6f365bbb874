# tests/insn/eval.awk - reads `objdump -d` of tests/insn/prims.c (or of any
# object) and prints, per function, the instructions that matter, with what
# their operands hold:
#
#     <function> TAB <kind> TAB <event>
#
# e.g. "t_invlpg  invlpg  invlpg [arg1]" or
#      "t_tlbi_va tlbi:vaae1is  tlbi vaae1is <- arg1[55:12]".
#
# Each function is followed in a straight line from its entry, with a value
# per register: argN (the Nth argument register of the ABI at entry),
# imm:0x.. (a constant), crN (read from a control register), rflags (pushed
# by PUSHF), addr:stack (an address in the frame), derived values
# (cr4&~{7}: bit 7 cleared; arg1|{0,2,3}: bits set; arg1[55:12]: that field
# of the argument, shifted down to bit 0; arg1[55:12]<<12: in place; on
# aarch64 several such parts ORed into disjoint bits, sorted and joined by
# "|", as in arg1[55:12]|arg2[15:0]<<48) or "?" (anything else).  Stores to the frame are remembered for descriptors in
# memory (INVPCID, INVEPT).  Branches are not followed: the functions are a
# wrapper each, and a check that wants a value on both paths says so.
#
# Usage: awk -v arch=x86_64|aarch64|riscv64 -f eval.awk disassembly
# POSIX awk (mawk, gawk, busybox): no bit operations, so bit masks are
# handled as strings of 64 binary digits.

function reset(    i) {
    split("", R); split("", MEM); sp = 0
    if (arch == "x86_64") {
        split("rdi rsi rdx rcx r8 r9", A, " ")
        for (i = 1; i <= 6; i++) R[A[i]] = "arg" (i - 1)
        R["rsp"] = "sp"
    } else if (arch == "aarch64") {
        for (i = 0; i <= 7; i++) R["x" i] = "arg" i
        R["sp"] = "sp"
    } else {
        for (i = 0; i <= 7; i++) R["a" i] = "arg" i
        R["sp"] = "sp"; R["zero"] = "imm:0x0"
    }
}

# Events are kept per function and printed at the end, with a call to a
# function of the same object replaced by the callee's events (its argN
# replaced by what the caller passed): a wrapper the compiler chose not to
# inline is still checked where it is used.
function emit(kind, ev) { NEV[fn]++; EVK[fn, NEV[fn]] = kind; EVT[fn, NEV[fn]] = ev }
function callargs(    i, s, r) {
    s = ""
    for (i = 0; i < 8; i++) {
        r = arch == "x86_64" ? substr("rdi rsi rdx rcx r8  r9  ", i * 4 + 1, 3) : (arch == "aarch64" ? "x" i : "a" i)
        sub(/ +$/, "", r)
        if (arch == "x86_64" && i >= 6) break
        s = s (i ? " " : "") ((r in R) && (R[r] ~ /^(arg[0-9]|imm:[-0-9a-fx]+)$/) ? R[r] : "?")
    }
    return s
}
function subst(ev, args,    A, out, n) {
    split(args, A, " ")
    out = ""
    while (match(ev, /arg[0-9]/)) {
        n = substr(ev, RSTART + 3, 1) + 1
        out = out substr(ev, 1, RSTART - 1) ((n in A) ? A[n] : "?")
        ev = substr(ev, RSTART + RLENGTH)
    }
    return out ev
}
function dump(f, args, depth, out,    i, c) {
    for (i = 1; i <= NEV[f]; i++) {
        if (EVK[f, i] == "call" && depth < 4 && (CALLEE[f, i] in NEV)) {
            dump(CALLEE[f, i], CARGS[f, i], depth + 1, out)
            continue
        }
        printf "%s\t%s\t%s\n", out, EVK[f, i], depth ? subst(EVT[f, i], args) : EVT[f, i]
    }
}
function callee(ops,    c) {
    if (!match(ops, /<[^>+]+>/)) return ""
    return substr(ops, RSTART + 1, RLENGTH - 2)
}
function emitcall(ops) {
    emit("call", "call " ops)
    CALLEE[fn, NEV[fn]] = callee(ops)
    CARGS[fn, NEV[fn]] = callargs()
}

# ---- numbers ------------------------------------------------------------
function hexval(s,    n, i, c, neg) {       # "0x1f", "-0x10", "31", "-445"
    neg = 0
    if (substr(s, 1, 1) == "-") { neg = 1; s = substr(s, 2) }
    if (substr(s, 1, 1) == "$") s = substr(s, 2)
    if (substr(s, 1, 1) == "#") s = substr(s, 2)
    n = 0
    if (tolower(substr(s, 1, 2)) == "0x") {
        s = tolower(substr(s, 3))
        for (i = 1; i <= length(s); i++) {
            c = index("0123456789abcdef", substr(s, i, 1))
            if (c == 0) break
            n = n * 16 + c - 1
        }
    } else n = s + 0
    return neg ? -n : n
}
function hexstr(n,    s, d) {
    if (n < 0) return "-" hexstr(-n)
    if (n == 0) return "0x0"
    s = ""
    while (n > 0) { d = n % 16; s = substr("0123456789abcdef", d + 1, 1) s; n = (n - d) / 16 }
    return "0x" s
}
function imm(n) { return "imm:" hexstr(n) }

# ---- 64-bit masks as binary strings (character 1 is bit 63) -------------
function hex2bin(s,    out, i, c, d, b, k) {
    if (substr(s, 1, 1) == "$" || substr(s, 1, 1) == "#") s = substr(s, 2)
    s = tolower(s)
    if (substr(s, 1, 2) == "0x") s = substr(s, 3)
    else if (s ~ /^[0-9]+$/) s = substr(hexstr(s + 0), 3)
    out = ""
    for (i = 1; i <= length(s); i++) {
        d = index("0123456789abcdef", substr(s, i, 1)) - 1
        b = ""
        for (k = 0; k < 4; k++) { b = (d % 2) b; d = int(d / 2) }
        out = out b
    }
    while (length(out) < 64) out = "0" out
    return substr(out, length(out) - 63)
}
function bit(b, n) { return substr(b, 64 - n, 1) }
function setbit(b, n, v) { return substr(b, 1, 63 - n) v substr(b, 65 - n) }
function bin2hex(b,    i, s, d) {
    s = ""
    for (i = 1; i <= 64; i += 4) {
        d = substr(b, i, 1) * 8 + substr(b, i + 1, 1) * 4 + substr(b, i + 2, 1) * 2 + substr(b, i + 3, 1)
        s = s substr("0123456789abcdef", d + 1, 1)
    }
    sub(/^0+/, "", s)
    return "0x" (s == "" ? "0" : s)
}
# The bits of b equal to v, as "7" or "0,2-3".
function bitlist(b, v,    n, out, lo) {
    out = ""
    for (n = 0; n < 64; n++) {
        if (bit(b, n) != v) continue
        lo = n
        while (n + 1 < 64 && bit(b, n + 1) == v) n++
        out = out (out == "" ? "" : ",") (lo == n ? lo : lo "-" n)
    }
    return out
}
# A run of ones [lo, lo + w): sets RUN_LO, RUN_W; 0 if not one run.
function onerun(b,    n) {
    RUN_LO = -1
    for (n = 0; n < 64; n++) if (bit(b, n) == "1") { RUN_LO = n; break }
    if (RUN_LO < 0) return 0
    for (n = RUN_LO; n < 64 && bit(b, n) == "1"; n++) ;
    RUN_W = n - RUN_LO
    for (; n < 64; n++) if (bit(b, n) == "1") return 0
    return 1
}

# ---- x86 ----------------------------------------------------------------
# Register name -> 64-bit family (sets W to the width used).
function xreg(r,    b) {
    sub(/^%/, "", r)
    W = 64
    if (r ~ /^r[0-9]+$/) return r
    if (r ~ /^r[0-9]+d$/) { W = 32; return substr(r, 1, length(r) - 1) }
    if (r ~ /^r[0-9]+w$/) { W = 16; return substr(r, 1, length(r) - 1) }
    if (r ~ /^r[0-9]+b$/) { W = 8; return substr(r, 1, length(r) - 1) }
    if (r ~ /^r(ax|bx|cx|dx|si|di|bp|sp)$/) return r
    if (r ~ /^e(ax|bx|cx|dx|si|di|bp|sp)$/) { W = 32; return "r" substr(r, 2) }
    if (r ~ /^(ax|bx|cx|dx|si|di|bp|sp)$/) { W = 16; return "r" r }
    if (r ~ /^[abcd]l$/) { W = 8; return "r" substr(r, 1, 1) "x" }
    if (r ~ /^(si|di|bp|sp)l$/) { W = 8; return "r" substr(r, 1, 2) }
    W = 0
    return r
}
function rget(k) { return (k in R) ? R[k] : "?" }
function isreg(o) { return o ~ /^%/ }
function xval(o,    f) {
    if (o ~ /^\$/) return imm(hexval(o))
    f = xreg(o)
    return (f in R) ? R[f] : "?"
}
# "off(%base)" -> key "base:off" for frame slots, "" otherwise.
function memkey(o, add,    off, base) {
    if (o !~ /^-?(0x[0-9a-f]+)?\(%r(sp|bp)\)$/) return ""
    off = o; sub(/\(.*/, "", off)
    base = o; sub(/^[^(]*\(%/, "", base); sub(/\)$/, "", base)
    return base ":" ((off == "" ? 0 : hexval(off)) + add)
}
function membase(o,    b) {          # "(%rsi)" or "0x8(%rsi)" -> value of rsi + off
    if (o !~ /^-?(0x[0-9a-f]+)?\(%[a-z0-9]+\)$/) return "mem:" o
    b = o; sub(/^[^(]*\(/, "", b); sub(/\)$/, "", b)
    if (o ~ /^\(/) return xval(b)
    b = xval(b); sub(/\(.*/, "", o)
    return b "+" hexval(o)
}
function memread(o,    k) { k = memkey(o, 0); return (k != "" && (k in MEM)) ? MEM[k] : "?" }
# Applies a bit operation with an immediate to a value of width w.
function bitop(op, v, b, w,    n, list, old) {
    if (w < 64) for (n = w; n < 64; n++) b = setbit(b, n, (op == "and" && w < 32) ? "1" : "0")
    if (v ~ /^imm:/) {
        old = hex2bin(substr(v, 5))
        for (n = 0; n < 64; n++) {
            if (op == "and") old = setbit(old, n, bit(old, n) * bit(b, n))
            else if (op == "or") old = setbit(old, n, (bit(old, n) + bit(b, n)) > 0 ? 1 : 0)
            else old = setbit(old, n, (bit(old, n) + bit(b, n)) % 2)
        }
        return "imm:" bin2hex(old)
    }
    if (v == "?") return "?"
    if (op == "and") { list = bitlist(b, "0"); return list == "" ? v : v "&~{" list "}" }
    list = bitlist(b, "1")
    if (list == "") return v
    return v (op == "or" ? "|{" : "^{") list "}"
}
function splitops(s, O,    n, i, c, depth, cur) {
    n = 0; depth = 0; cur = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "(" || c == "[") depth++
        if (c == ")" || c == "]") depth--
        if (c == "," && depth == 0) { O[++n] = cur; cur = ""; continue }
        cur = cur c
    }
    if (cur != "") O[++n] = cur
    for (i = 1; i <= n; i++) { sub(/^ +/, "", O[i]); sub(/ +$/, "", O[i]) }
    return n
}
function kill(o,    f) { if (isreg(o)) { f = xreg(o); R[f] = "?" } }

function x86(mn, ops,    O, n, src, dst, f, w, k, v, cr) {
    n = splitops(ops, O); src = O[1]; dst = O[n]
    if (mn ~ /^(movq|movl|movw|movb|movabs)$/) mn = "mov"
    else if (mn ~ /^(andq|andl|andw|andb)$/) mn = "and"
    else if (mn ~ /^(orq|orl|orw|orb)$/) mn = "or"
    else if (mn ~ /^(xorq|xorl|xorw|xorb)$/) mn = "xor"
    else if (mn ~ /^(btrq|btrl)$/) mn = "btr"
    else if (mn ~ /^(pushq)$/) mn = "push"
    else if (mn ~ /^(popq)$/) mn = "pop"
    else if (mn == "pushfq") mn = "pushf"
    else if (mn == "popfq") mn = "popf"

    if (mn == "mov" && n == 2) {
        if (src ~ /^%cr[0-9]$/) { cr = substr(src, 2); emit("mov-from-" cr, "mov-from-" cr); R[xreg(dst)] = cr; return }
        if (src ~ /^%dr[0-9]$/ || dst ~ /^%dr[0-9]$/) { emit("mov-debug-reg", "mov " ops); kill(dst); return }
        if (dst ~ /^%cr[0-9]$/) { cr = substr(dst, 2); emit("mov-to-" cr, "mov-to-" cr " " xval(src)); return }
        if (isreg(dst)) {
            f = xreg(dst)
            if (isreg(src) || src ~ /^\$/) R[f] = xval(src)
            else R[f] = memread(src)
            return
        }
        # a store
        v = xval(src)
        k = memkey(dst, 0)
        if (k != "") { MEM[k] = v; return }
        w = 64
        if (isreg(src)) { xreg(src); w = W }
        emit("store", "store" w " [" membase(dst) "] <- " v)
        return
    }
    if (mn == "lea") {
        f = xreg(dst)
        R[f] = (src ~ /\(%r(sp|bp)\)$/) ? "addr:stack" : "?"
        return
    }
    if ((mn == "and" || mn == "or" || mn == "xor") && src ~ /^\$/ && isreg(dst)) {
        f = xreg(dst); w = W
        R[f] = bitop(mn, (f in R) ? R[f] : "?", hex2bin(src), w)
        return
    }
    if (mn == "xor" && isreg(src) && isreg(dst) && xreg(src) == xreg(dst)) { R[xreg(dst)] = "imm:0x0"; return }
    if (mn == "btr" && src ~ /^\$/ && isreg(dst)) {
        f = xreg(dst)
        R[f] = bitop("and", (f in R) ? R[f] : "?", setbit(ONES, hexval(src), "0"), 64)
        return
    }
    if (mn == "push") { STK[++sp] = xval(src); return }
    if (mn == "pushf") { STK[++sp] = "rflags"; return }
    if (mn == "pop") { R[xreg(dst)] = sp > 0 ? STK[sp--] : "?"; return }
    if (mn == "popf") { emit("popf", "popf <- " (sp > 0 ? STK[sp--] : "?")); return }
    if (mn == "invlpg") {
        emit("invlpg", "invlpg [" membase(src) "]"); return
    }
    if (mn == "invpcid" || mn == "invept" || mn == "invvpid") {
        emit(mn, mn " type=" xval(dst) " desc=" memread(src) "," MEMAT(src, 8)); return
    }
    if (mn == "wrpkru") { emit(mn, "wrpkru eax=" rget("rax") " ecx=" rget("rcx") " edx=" rget("rdx")); return }
    if (mn == "rdpkru") { emit(mn, "rdpkru ecx=" rget("rcx")); R["rax"] = R["rdx"] = "?"; return }
    if (mn == "invlpgb") { emit(mn, "invlpgb rax=" rget("rax") " ecx=" rget("rcx") " edx=" rget("rdx")); return }
    if (mn == "cpuid") { emit(mn, "cpuid eax=" rget("rax") " ecx=" rget("rcx")); R["rax"] = R["rbx"] = R["rcx"] = R["rdx"] = "?"; return }
    if (mn ~ /^(cli|sti|mfence|lfence|sfence|tlbsync|wbinvd|invd|hlt|ud2|swapgs|rdmsr|wrmsr|lgdt|lidt|ltr|lldt|clts|iretq|sysretq|vmcall|vmlaunch|vmresume|vmptrld|vmread|vmwrite)$/) {
        emit(mn, mn); if (mn == "rdmsr") R["rax"] = R["rdx"] = "?"; return
    }
    if (mn ~ /^call/) { emitcall(ops); split("rax rcx rdx rsi rdi r8 r9 r10 r11", A, " "); for (k in A) R[A[k]] = "?"; return }
    if (mn ~ /^(j|ret|test|cmp|bt$|nop|leave|endbr)/) return
    if (n >= 1) kill(dst)
}
function MEMAT(o, add,    k) { k = memkey(o, add); return (k != "" && (k in MEM)) ? MEM[k] : "?" }

# ---- aarch64 ------------------------------------------------------------
function areg(r) {
    if (r ~ /^[xw][0-9]+$/) return "x" substr(r, 2)
    if (r == "sp" || r == "wsp") return "sp"
    if (r == "xzr" || r == "wzr") return "zero"
    return ""
}
function aval(o,    f) {
    if (o ~ /^#/) return imm(hexval(o))
    f = areg(o)
    if (f == "zero") return "imm:0x0"
    return (f in R) ? R[f] : "?"
}
# Field values: "argN[hi:lo]" (pos 0) or "argN[hi:lo]<<pos".
function fparse(v) {
    if (v ~ /^arg[0-9]+$/) { F_A = v; F_LO = 0; F_W = 64; F_POS = 0; return 1 }
    if (v !~ /^arg[0-9]+\[[0-9]+:[0-9]+\](<<[0-9]+)?$/) return 0
    F_A = v; sub(/\[.*/, "", F_A)
    split(v, P, /[\[\]:<]+/)
    F_LO = P[3] + 0; F_W = P[2] - P[3] + 1; F_POS = (4 in P && P[4] != "") ? P[4] + 0 : 0
    return 1
}
function fmake(    s) {
    if (F_W <= 0) return "imm:0x0"
    if (F_LO == 0 && F_W == 64 && F_POS == 0) return F_A
    s = F_A "[" (F_LO + F_W - 1) ":" F_LO "]"
    return F_POS ? s "<<" F_POS : s
}
# Keeps the part of the field that lies in bits [l, l + w) of the value.
function fkeep(l, w,    a, b) {
    a = (l > F_POS) ? l : F_POS
    b = (l + w < F_POS + F_W) ? l + w : F_POS + F_W
    if (b <= a) { F_W = 0; return }
    F_LO += a - F_POS; F_W = b - a; F_POS = a
}
# The OR of two values made of disjoint parts (ORR, BFI, BFXIL): their
# parts, sorted, so that the compiler's order of the ORs does not matter;
# zero parts dropped.  Overlapping parts are not detected: a check that
# wants an exact value lists every part it expects.
function orparts(a, b,    P, n, i, j, t, out) {
    if (a == "?" || b == "?") return "?"
    n = split(a "|" b, P, "|")
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && P[j - 1] > P[j]; j--) { t = P[j]; P[j] = P[j - 1]; P[j - 1] = t }
    out = ""
    for (i = 1; i <= n; i++) if (P[i] != "imm:0x0" && P[i] != "") out = out (out == "" ? "" : "|") P[i]
    return out == "" ? "imm:0x0" : out
}
# A field value moved up by s bits (what was shifted out is dropped).
function shifted(v, s) {
    if (s == 0) return v
    if (!fparse(v)) return "?"
    F_POS += s; fkeep(0, 64); return fmake()
}
function a64(mn, ops,    O, n, d, v, s, w, k) {
    n = splitops(ops, O); d = areg(O[1])
    if (mn == "mov" && n == 2) { R[d] = aval(O[2]); return }
    if (mn == "orr" && (n == 3 || (n == 4 && O[4] ~ /^lsl #/)) && O[3] !~ /^#/) {
        s = n == 4 ? O[4] : "0"; sub(/^lsl #/, "", s)
        R[d] = orparts(aval(O[2]), shifted(aval(O[3]), hexval(s))); return
    }
    if (mn == "bfi" && n == 4) {            # d[lsb + w - 1:lsb] = s[w - 1:0]
        if (fparse(aval(O[2]))) { w = hexval(O[4]); fkeep(0, w); v = shifted(fmake(), hexval(O[3])) }
        else v = "?"
        R[d] = orparts(aval(O[1]), v); return
    }
    if (mn == "bfxil" && n == 4) {          # d[w - 1:0] = s[lsb + w - 1:lsb]
        if (fparse(aval(O[2]))) { s = hexval(O[3]); w = hexval(O[4]); fkeep(s, w); F_POS -= s; v = fmake() }
        else v = "?"
        R[d] = orparts(aval(O[1]), v); return
    }
    if (mn == "lsr" && n == 3 && O[3] ~ /^#/) {
        if (fparse(aval(O[2]))) {
            s = hexval(O[3]); fkeep(s, 64 - s); F_POS -= s; if (F_POS < 0) { F_LO -= F_POS; F_W += F_POS; F_POS = 0 }
            R[d] = fmake()
        } else R[d] = "?"
        return
    }
    if (mn == "lsl" && n == 3 && O[3] ~ /^#/) {
        if (fparse(aval(O[2]))) { s = hexval(O[3]); F_POS += s; fkeep(0, 64); R[d] = fmake() } else R[d] = "?"
        return
    }
    if (mn == "ubfx" && n == 4) {
        if (fparse(aval(O[2]))) {
            s = hexval(O[3]); w = hexval(O[4]); fkeep(s, w); F_POS -= s; R[d] = fmake()
        } else R[d] = "?"
        return
    }
    if (mn == "and" && n == 3 && O[3] ~ /^#/) {
        if (fparse(aval(O[2])) && onerun(hex2bin(O[3]))) { fkeep(RUN_LO, RUN_W); R[d] = fmake() }
        else R[d] = "?"
        return
    }
    if (mn == "str" || mn == "stur") {
        v = aval(O[1]); s = O[2]; sub(/^\[/, "", s); sub(/\]!?$/, "", s)
        k = split(s, P, /, */)
        emit("store", "store" (O[1] ~ /^x/ ? 64 : 32) " [" aval(P[1]) "+" (k > 1 ? hexval(P[2]) : 0) "] <- " v)
        return
    }
    if (mn == "tlbi") {
        emit("tlbi:" O[1], "tlbi " O[1] (n > 1 ? " <- " aval(O[2]) : "")); return
    }
    if (mn == "dsb" || mn == "dmb") { emit(mn ":" O[1], mn " " O[1]); return }
    if (mn == "isb") { emit("isb", "isb"); return }
    if (mn == "msr") { emit("msr:" O[1], "msr " O[1] " <- " aval(O[2])); return }
    if (mn == "mrs") { emit("mrs:" O[2], "mrs " O[2]); R[d] = O[2]; return }
    if (mn ~ /^(sys|sysl|at|dc|ic|hvc|smc|svc|eret|wfi|wfe|sev|sevl|brk|udf|hlt)$/) { emit(mn, mn " " ops); return }
    if (mn ~ /^bl/) { emitcall(ops); for (k = 0; k <= 18; k++) R["x" k] = "?"; return }
    if (mn ~ /^(b|b\..*|cbz|cbnz|tbz|tbnz|ret|cmp|cmn|tst|nop|stp|stxr|stlxr|strb|strh|paciasp|autiasp|bti)$/) return
    if (d != "") R[d] = "?"
}

# ---- riscv64 ------------------------------------------------------------
function rname(n) {
    split("zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6", RN, " ")
    return RN[n + 1]
}
function rval(o) {
    if (o == "zero") return "imm:0x0"
    if (o ~ /^-?(0x[0-9a-f]+|[0-9]+)$/) return imm(hexval(o))
    return (o in R) ? R[o] : "?"
}
function rnum(v) { return (v ~ /^imm:/) ? hexval(substr(v, 5)) : "" }
function rv(raw, mn, ops,    O, n, word, rs1, pat, v, a, b, s) {
    sub(/ *#.*/, "", ops)
    n = splitops(ops, O)
    if (length(raw) == 8) {
        word = hexval("0x" raw)
        if (word % 128 == 115) {                   # SYSTEM (0x73)
            if (word == 115) {
                # The SBI argument registers the library's calls use
                # (RFENCE: a4 the ASID of FID 2, unread by FID 1).
                emit("ecall", "ecall a0=" rval("a0") " a1=" rval("a1") " a2=" rval("a2") " a3=" rval("a3") \
                     " a4=" rval("a4") " a6=" rval("a6") " a7=" rval("a7"))
                R["a0"] = R["a1"] = "?"
                return
            }
            rs1 = int(word / 32768) % 32
            pat = word - rs1 * 32768
            # SFENCE.VMA and SINVAL.VMA (funct7 0001001, 0001011, funct3 0)
            # name a register in rs2 too: the ASID, x0 for every space.
            a = int(word / 33554432); b = int(word / 1048576) % 32
            if ((a == 9 || a == 11) && int(word / 4096) % 8 == 0 && b != 0) pat -= b * 1048576
            else b = 0
            s = sprintf("0x%08x", pat)
            emit("sys:" s, "sys " s " rs1=" (rs1 == 0 ? "x0" : rval(rname(rs1))) (b ? " rs2=" rval(rname(b)) : ""))
            if (int(word / 4096) % 8 != 0) R[O[1]] = "?"     # CSR access: rd written
            return
        }
        if (word % 128 == 15) { emit("fence:" mn " " ops, mn " " ops); return }
    }
    if (mn == "mv") { R[O[1]] = rval(O[2]); return }
    # Shifts by a constant (zero-extending a 32-bit argument: sll 32, srl 32).
    if ((mn == "sll" || mn == "slli") && n == 3 && O[3] ~ /^(0x[0-9a-f]+|[0-9]+)$/) {
        R[O[1]] = shifted(rval(O[2]), hexval(O[3])); return
    }
    if ((mn == "srl" || mn == "srli") && n == 3 && O[3] ~ /^(0x[0-9a-f]+|[0-9]+)$/) {
        if (fparse(rval(O[2]))) {
            s = hexval(O[3]); fkeep(s, 64 - s); F_POS -= s; if (F_POS < 0) { F_LO -= F_POS; F_W += F_POS; F_POS = 0 }
            R[O[1]] = fmake()
        } else R[O[1]] = "?"
        return
    }
    if (mn == "li") { R[O[1]] = imm(hexval(O[2])); return }
    if (mn == "lui") {
        v = hexval(O[2]) * 4096
        if (v >= 2147483648) v -= 4294967296
        R[O[1]] = imm(v); return
    }
    if ((mn == "add" || mn == "addi" || mn == "addw" || mn == "addiw") && n == 3 && O[3] ~ /^-?(0x[0-9a-f]+|[0-9]+)$/) {
        a = rnum(rval(O[2]))
        if (a == "") { R[O[1]] = "?"; return }
        v = a + hexval(O[3])
        if (mn ~ /w$/) {
            v = v % 4294967296; if (v < 0) v += 4294967296
            if (v >= 2147483648) v -= 4294967296
        }
        R[O[1]] = imm(v); return
    }
    if (mn ~ /^(sd|sw|sh|sb)$/) {
        s = O[2]; a = s; sub(/\(.*/, "", a); b = s; sub(/^.*\(/, "", b); sub(/\)$/, "", b)
        emit("store", "store" (mn == "sd" ? 64 : mn == "sw" ? 32 : mn == "sh" ? 16 : 8) " [" rval(b) "+" hexval(a == "" ? "0" : a) "] <- " rval(O[1]))
        return
    }
    if (mn ~ /^(call|jal|jalr)$/) { emitcall(ops); split("ra t0 t1 t2 a0 a1 a2 a3 a4 a5 a6 a7 t3 t4 t5 t6", A, " "); for (s in A) R[A[s]] = "?"; return }
    if (mn ~ /^(b|j|jr|ret|nop|unimp|ebreak|c\.)/) { if (mn ~ /^(unimp|ebreak)$/) emit(mn, mn); return }
    if (n >= 1) R[O[1]] = "?"
}

# ---- states at branch targets ----------------------------------------------
function save(    k, s) {
    s = ""
    for (k in R) s = s "\034R" k "\035" R[k]
    for (k in MEM) s = s "\034M" k "\035" MEM[k]
    for (k = 1; k <= sp; k++) s = s "\034S" k "\035" STK[k]
    return s
}
function load(s,    n, i, E, kv) {
    split("", R); split("", MEM); sp = 0
    n = split(s, E, "\034")
    for (i = 2; i <= n; i++) {
        split(E[i], kv, "\035")
        if (substr(kv[1], 1, 1) == "R") R[substr(kv[1], 2)] = kv[2]
        else if (substr(kv[1], 1, 1) == "M") MEM[substr(kv[1], 2)] = kv[2]
        else { STK[substr(kv[1], 2) + 0] = kv[2]; if (substr(kv[1], 2) + 0 > sp) sp = substr(kv[1], 2) + 0 }
    }
}
# A value survives a join only when every way in agrees on it.
function merge(a, b,    n, i, E, X, out) {
    if (a == "" || b == "") return a b
    split("", X)
    n = split(b, E, "\034")
    for (i = 2; i <= n; i++) X[E[i]] = 1
    out = ""
    n = split(a, E, "\034")
    for (i = 2; i <= n; i++) if (E[i] in X) out = out "\034" E[i]
    return out "\034"
}
function insn(mn, ops, raw) {
    if (arch == "x86_64") x86(mn, ops)
    else if (arch == "aarch64") a64(mn, ops)
    else rv(raw, mn, ops)
}
function run(    i, live, t, u, IN) {
    if (fn == "") return
    split("", IN)
    live = 1
    reset()
    for (i = 1; i <= N; i++) {
        if (ADDR[i] in IN) { if (live) load(merge(save(), IN[ADDR[i]])); else load(IN[ADDR[i]]) }
        else if (!live) load("\034")
        if (MN[i] ~ /^(jmp|jmpq|b|j|tail)$/ && OPS[i] ~ /<[^>+]+>$/ && callee(OPS[i]) != fn)
            emitcall(OPS[i])                    # a tail call
        else
            insn(MN[i], OPS[i], RAW[i])
        t = ""
        if (match(OPS[i], /(^|[ ,])[0-9a-f]+ </)) { t = substr(OPS[i], RSTART, RLENGTH - 2); sub(/^[ ,]/, "", t) }
        u = (arch == "x86_64" && MN[i] ~ /^(jmp|jmpq|ret|retq|ud2)$/) ||
            (arch == "aarch64" && MN[i] ~ /^(b|br|ret|udf)$/) ||
            (arch == "riscv64" && MN[i] ~ /^(j|jr|ret|tail|unimp)$/)
        if (t != "" && MN[i] !~ /^(call|callq|bl|jal|jalr)$/) IN[t] = (t in IN) ? merge(IN[t], save()) : save()
        live = !u
    }
}

BEGIN { fn = ""; ONES = "1111111111111111111111111111111111111111111111111111111111111111" }
/^[0-9a-f]+ <[^>]+>:$/ { run(); fn = $2; gsub(/[<>:]/, "", fn); N = 0; next }
fn == "" { next }
/^ *[0-9a-f]+:\t/ {
    line = $0
    a = line; sub(/^ */, "", a); sub(/:.*/, "", a)
    sub(/^ *[0-9a-f]+:\t/, "", line)
    raw = ""
    if (arch == "riscv64") {
        # "12058073          \tsfence.vma\ta1": the word, then the text.
        raw = line; sub(/[ \t].*/, "", raw)
        sub(/^[0-9a-f]+ *\t/, "", line)
    }
    mn = line; sub(/[ \t].*/, "", mn)
    ops = line; if (index(ops, "\t") || index(ops, " ")) { sub(/^[^ \t]+[ \t]+/, "", ops) } else ops = ""
    sub(/[ \t]+$/, "", ops)
    if (arch == "x86_64" && mn ~ /^(rex|data16|cs|ds|lock|rep|repz|repnz|notrack|bnd)$/) {
        # a prefix: the instruction follows it
        line = ops; mn = line; sub(/[ \t].*/, "", mn)
        ops = line; if (index(ops, " ")) sub(/^[^ \t]+[ \t]+/, "", ops); else ops = ""
    }
    N++; ADDR[N] = a; MN[N] = mn; OPS[N] = ops; RAW[N] = raw
}
END {
    run()
    for (f in NEV) dump(f, "", 0, f)
}
