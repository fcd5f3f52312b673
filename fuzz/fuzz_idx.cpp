// libFuzzer target: the IDX reader (raw and gzip), as load_mnist uses it.
#include "fuzz/fuzz_common.hpp"
#include "fuzz/memfile.hpp"
#include "io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::memfile(data, size);
  tg::fuzz::run([&] {
    try {
      (void)tg::io::read_idx(path, 0);
    } catch (const tg::io::DataError&) {
    }
  });
  return 0;
}
