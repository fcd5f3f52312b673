// Attributes of groups and datasets: strings in every encoding Keras files use.
#include <algorithm>
#include <cstring>

#include "io/h5.hpp"
#include "io/h5_detail.hpp"

namespace tg::io::h5 {
namespace {

constexpr std::size_t kMaxCompactString = 64000;  // object header messages are limited to 64 KiB

Id make_string_type(StrType type, std::size_t size) {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  const bool vlen = type == StrType::vlen_ascii || type == StrType::vlen_utf8;
  const bool utf8 = type == StrType::fixed_utf8 || type == StrType::vlen_utf8;
  if (!t.valid() || H5Tset_size(t.get(), vlen ? H5T_VARIABLE : std::max<std::size_t>(size, 1)) < 0 ||
      H5Tset_cset(t.get(), utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) < 0 ||
      H5Tset_strpad(t.get(), vlen ? H5T_STR_NULLTERM : H5T_STR_NULLPAD) < 0)
    return Id();
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Object: attributes

void Object::fail(const std::string& what) const { raise(what, file_, path_); }

std::string Object::child_path(const std::string& rel) const {
  if (!rel.empty() && rel.front() == '/') return rel;
  return path_ == "/" ? "/" + rel : path_ + "/" + rel;
}

std::uint64_t Object::address() const {
  H5O_info_t info;
  if (H5Oget_info2(id(), &info, H5O_INFO_BASIC) < 0) fail("cannot read object info");
  return static_cast<std::uint64_t>(info.addr);
}

bool Object::has_attr(const std::string& name) const {
  const htri_t r = H5Aexists(id(), name.c_str());
  if (r < 0) fail("cannot check attribute '" + name + "'");
  return r > 0;
}

std::vector<std::string> Object::attr_names() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names) < 0) fail("cannot list attributes");
  std::sort(names.begin(), names.end());
  return names;
}

AttrInfo Object::attr_info(const std::string& name) const {
  const std::string what = "cannot read attribute '" + name + "'";
  Id attr(check(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what.c_str(), file_, path_), H5Aclose);
  Id type(check(H5Aget_type(attr.get()), what.c_str(), file_, path_), H5Tclose);
  Id space(check(H5Aget_space(attr.get()), what.c_str(), file_, path_), H5Sclose);
  AttrInfo info;
  info.type_class = H5Tget_class(type.get());
  info.size = H5Tget_size(type.get());
  info.is_string = info.type_class == H5T_STRING;
  if (info.is_string) {
    info.vlen = H5Tis_variable_str(type.get()) > 0;
    info.utf8 = H5Tget_cset(type.get()) == H5T_CSET_UTF8;
  }
  info.scalar = H5Sget_simple_extent_type(space.get()) == H5S_SCALAR;
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank > 0) {
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    for (hsize_t d : dims) info.dims.push_back(static_cast<std::int64_t>(d));
  }
  return info;
}

std::vector<std::string> Object::read_string_list_attr(const std::string& name) const {
  const std::string what = "cannot read string attribute '" + name + "'";
  const char* w = what.c_str();
  Id attr(check(H5Aopen(id(), name.c_str(), H5P_DEFAULT), w, file_, path_), H5Aclose);
  Id type(check(H5Aget_type(attr.get()), w, file_, path_), H5Tclose);
  Id space(check(H5Aget_space(attr.get()), w, file_, path_), H5Sclose);
  const hssize_t n = check(H5Sget_simple_extent_npoints(space.get()), w, file_, path_);
  if (n == 0) return {};  // empty list: Keras writes float64 (0,)
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail("attribute '" + name + "' is not a string (nor an empty list)");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  if (H5Tis_variable_str(type.get()) > 0) {
    Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(mem.get(), H5T_VARIABLE), w, file_, path_);
    check(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), w, file_, path_);
    std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
    check(H5Aread(attr.get(), mem.get(), buf.data()), w, file_, path_);
    for (char* s : buf) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buf.data());
  } else {
    const std::size_t size = H5Tget_size(type.get());
    if (size == 0) fail(what + ": zero string size");
    Id mem(check(H5Tcopy(type.get()), w, file_, path_), H5Tclose);
    std::vector<char> buf(size * static_cast<std::size_t>(n), '\0');
    check(H5Aread(attr.get(), mem.get(), buf.data()), w, file_, path_);
    const H5T_str_t pad = H5Tget_strpad(type.get());
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + static_cast<std::size_t>(i) * size, size);
      if (pad == H5T_STR_SPACEPAD) {
        s.erase(s.find_last_not_of(' ') + 1);
      } else {
        // NULLPAD: names exactly STRSIZE long have no NUL at all.
        const auto nul = s.find('\0');
        if (nul != std::string::npos) s.resize(nul);
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::string Object::read_string_attr(const std::string& name) const {
  auto v = read_string_list_attr(name);
  if (v.size() != 1)
    fail("attribute '" + name + "' holds " + std::to_string(v.size()) + " strings, expected one");
  return std::move(v.front());
}

void Object::write_string_list_attr(const std::string& name, const std::vector<std::string>& values,
                                    StrType type) const {
  const std::string what = "cannot write attribute '" + name + "'";
  const char* w = what.c_str();
  if (has_attr(name)) check(H5Adelete(id(), name.c_str()), w, file_, path_);
  const hsize_t n = values.size();
  Id space(check(H5Screate_simple(1, &n, nullptr), w, file_, path_), H5Sclose);
  if (values.empty()) {
    Id attr(check(H5Acreate2(id(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), w,
                  file_, path_),
            H5Aclose);
    return;
  }
  std::size_t longest = 1;
  for (const auto& s : values) longest = std::max(longest, s.size());
  const bool vlen = type == StrType::vlen_ascii || type == StrType::vlen_utf8;
  Id t = make_string_type(type, longest);
  if (!t.valid()) fail(what);
  Id attr(check(H5Acreate2(id(), name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), w, file_, path_),
          H5Aclose);
  if (vlen) {
    std::vector<const char*> ptrs;
    for (const auto& s : values) ptrs.push_back(s.c_str());
    check(H5Awrite(attr.get(), t.get(), ptrs.data()), w, file_, path_);
  } else {
    std::vector<char> buf(longest * values.size(), '\0');
    for (std::size_t i = 0; i < values.size(); ++i) std::memcpy(buf.data() + i * longest, values[i].data(), values[i].size());
    check(H5Awrite(attr.get(), t.get(), buf.data()), w, file_, path_);
  }
}

void Object::write_string_attr(const std::string& name, const std::string& value, StrType type) const {
  const std::string what = "cannot write attribute '" + name + "'";
  const char* w = what.c_str();
  if (value.size() > kMaxCompactString && type == StrType::fixed_ascii) type = StrType::vlen_ascii;
  if (value.size() > kMaxCompactString && type == StrType::fixed_utf8) type = StrType::vlen_utf8;
  if (has_attr(name)) check(H5Adelete(id(), name.c_str()), w, file_, path_);
  Id space(check(H5Screate(H5S_SCALAR), w, file_, path_), H5Sclose);
  Id t = make_string_type(type, value.size());
  if (!t.valid()) fail(what);
  Id attr(check(H5Acreate2(id(), name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), w, file_, path_),
          H5Aclose);
  if (type == StrType::vlen_ascii || type == StrType::vlen_utf8) {
    const char* p = value.c_str();
    check(H5Awrite(attr.get(), t.get(), &p), w, file_, path_);
  } else {
    std::vector<char> buf(std::max<std::size_t>(value.size(), 1), '\0');
    std::memcpy(buf.data(), value.data(), value.size());
    check(H5Awrite(attr.get(), t.get(), buf.data()), w, file_, path_);
  }
}

}  // namespace tg::io::h5
