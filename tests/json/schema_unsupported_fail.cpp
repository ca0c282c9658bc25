// A struct with a member the serializer cannot write (`int*`) has no schema: the serializer's
// own compile error, naming `int*`. Built with -DWEBHOOK_SCHEMA_CONTROL the member is an `int`
// and it compiles, which shows the error comes from the member alone.
#include <webhook/json/schema.hpp>

#include <boost/describe.hpp>

#ifdef WEBHOOK_SCHEMA_CONTROL
using extra_type = int;
#else
using extra_type = int*;
#endif

struct payload {
    int id = 0;
    extra_type extra{};
};
BOOST_DESCRIBE_STRUCT(payload, (), (id, extra))

int main() {
    return webhook::json::schema<payload>().is_object() ? 0 : 1;
}
