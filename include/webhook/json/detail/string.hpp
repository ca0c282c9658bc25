#ifndef WEBHOOK_JSON_DETAIL_STRING_HPP
#define WEBHOOK_JSON_DETAIL_STRING_HPP

// The JSON string writer: the portable block scanners (string_blocks.hpp) and, where the
// processor has them, the SSSE3 and AVX2 ones that also validate UTF-8 by blocks
// (string_simd.hpp).

#include <webhook/json/detail/string_blocks.hpp>
#include <webhook/json/detail/string_simd.hpp>
#include <webhook/json/detail/writer.hpp>
#include <webhook/json/options.hpp>

#include <string_view>

namespace webhook::json::detail {

/// `write_string_with` on the widest blocks the target has, checking UTF-8 unless the options
/// say the caller guarantees it.
inline void write_string(writer& w, std::string_view s) {
    if (w.options().invalid_utf8 == utf8_policy::assume_valid)
        return write_string_with<default_blocks, false>(w, s);
#ifdef WEBHOOK_HAS_SSSE3_UTF8
    if (webhook::detail::cpu_has_avx2())
        return write_string_avx2(w, s);
    if (webhook::detail::cpu_has_ssse3())
        return write_string_ssse3(w, s);
#endif
    write_string_with<default_blocks, true>(w, s);
}

} // namespace webhook::json::detail

#endif
