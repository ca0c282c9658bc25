# Functions the benchmark scripts' awk programs share; prepended to each program's text
# (plain awk, mawk included, has no include).

# The value of `key=value` in a line of such fields, or "".
function field(line, key,    i, n, parts) {
    n = split(line, parts, " ")
    for (i = 1; i <= n; i++)
        if (index(parts[i], key "=") == 1) return substr(parts[i], length(key) + 2)
    return ""
}
# The median of a space-separated list of numbers, or "" for none.
function median(list,    v, n, i, j, t) {
    n = split(list, v, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
