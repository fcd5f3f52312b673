// The tapegrad command-line tool.
#include <iostream>
#include <string>

#include "tapegrad.hpp"

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "info") {
    std::cout << "isa: " << tg::isa_name(tg::active_isa()) << "\nthreads: " << tg::num_threads() << "\n";
    return 0;
  }
  std::cerr << "usage: tapegrad info\n";
  return 2;
}
