// libFuzzer target: the tensor-file reader (io::load_arrays: `tapegrad predict --input`).
#include "fuzz/fuzz_common.hpp"
#include "fuzz/memfile.hpp"
#include "io/tensor_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::memfile(data, size);
  tg::fuzz::run([&] { (void)tg::io::load_arrays(path); });
  return 0;
}
