// An undescribed event given to the dispatcher: one error, the JSON part's, naming the type;
// not a page of errors starting in the URL template.
#include <webhook/dispatcher.hpp>

struct plain_struct {
    int id = 0;
};

int main() {
    webhook::endpoint e;
    e.url = "https://hooks.example.com/{id}";
    webhook::dispatcher d{e};
    d.bind<plain_struct>();
    (void)d.send(plain_struct{});
    (void)d.post(plain_struct{});
    d.async_send(plain_struct{}, [](webhook::delivery) {});
}
