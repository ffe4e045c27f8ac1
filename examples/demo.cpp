// placeholder demo, replaced below
#include <tapegrad.hpp>
#include <iostream>
int main() { std::cout << "demo\n"; }
