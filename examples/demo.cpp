#include <webhook/json/serialize.hpp>
#include <iostream>
int main() { std::cout << webhook::json::to_string(42) << "\n"; }
