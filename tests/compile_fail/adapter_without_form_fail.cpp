// An adapter must say how the type is written: write_string, write_number or convert.
#include <webhook/json/serialize.hpp>

namespace vendor {
struct uuid {
    unsigned char bytes[16] = {};
};
} // namespace vendor

template <>
struct webhook::json::adapter<vendor::uuid> {
    static std::string to_string(const vendor::uuid&) { return "x"; } // none of the three
};

int main() {
    return static_cast<int>(webhook::json::to_string(vendor::uuid{}).size());
}
