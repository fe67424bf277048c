#!/usr/bin/env bash
# Builds the pinned ggml/llama.cpp shared libraries (and the peer tools llama-mtmd-cli and
# llama-quantize) into ~/.cache/mmgp/native/<key>. A second run with the same key is a no-op.
#
# The source is the llama.cpp git bundle that npm's node-llama-cpp@3.22.1 ships; we pin the
# tarball by sha256 and never copy the source into this repository.
#
# Env: MMGP_CACHE (default ~/.cache/mmgp), MMGP_JOBS (default nproc), MMGP_CUDA=1 (opt-in CUDA),
#      MMGP_NATIVE_FORCE=1 (rebuild even if the cache entry exists), CC (C compiler for native/kernels).
# It also builds mmgp's own small C kernels (native/kernels) into ~/.cache/mmgp/native/kernels-<key>.
set -euo pipefail

NPM_PACKAGE="node-llama-cpp"
NPM_VERSION="3.22.1"
NPM_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
BUNDLE_COMMIT="de3ff815ea7d559ee917f063901b8986f038abc6"
# The build recipe's revision, recorded in BUILD-INFO: a cached build of an older recipe is rebuilt
# (and the Java side refuses what an older recipe got wrong, see NativeLibraries.recipe()).
#   2: C++ compiled with -fno-tree-dse -fno-dse under GCC < 13 (GCC 12's _tile_loadconfig names 8 bytes
#      of the 64-byte tile config as its input, so the stores of the tiles' rows and widths were
#      deleted as dead and ggml's AMX matmuls faulted on their first tile instruction).
#   3: that decision taken inside CMake from the compiler it uses (2 read ${CXX:-c++}, which can differ).
RECIPE=3

die() { echo "mmgp native build: $*" >&2; exit 1; }

missing=()
for tool in npm cmake git tar; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1 && ! command -v clang++ >/dev/null 2>&1; then
  missing+=("a C/C++ compiler (g++ or clang++)")
fi
if ((${#missing[@]})); then
  die "missing build tools: ${missing[*]}. Install them (Debian: apt-get install cmake ninja-build g++ git npm; macOS: xcode-select --install && brew install cmake node) and re-run."
fi

os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
# GGML_NATIVE compiles for this CPU (-march=native), so the CPU's features are part of the key.
# Without /proc/cpuinfo (macOS) the list is empty, as NativeLibraries.cpuFeatures() computes it.
features=""
if [[ -r /proc/cpuinfo ]]; then
  features=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | cut -d: -f2 | tr ' ' '\n' \
    | { grep -E '^(avx|avx2|fma|f16c|avx512[a-z0-9_]*|amx[a-z0-9_]*|sse4_2|asimd[a-z]*|sve[0-9]*|i8mm|bf16|dotprod)$' || true; } \
    | LC_ALL=C sort | tr '\n' ' ')
fi
cuda_tag=""
[[ "${MMGP_CUDA:-0}" == "1" ]] && cuda_tag="-cuda"
fkey=$(printf '%s' "$features" | sha256sum 2>/dev/null | cut -c1-10 || printf '%s' "$features" | shasum -a 256 | cut -c1-10)
key="${NPM_VERSION}-${os}-${arch}-${fkey}${cuda_tag}"

cache="${MMGP_CACHE:-$HOME/.cache/mmgp}"
out="$cache/native/$key"

# mmgp's own C kernels (native/kernels: per-data-type compute peaks, see mmgp_kernels.h), built into
# their own folder kernels-<sha of their sources and this CPU's feature key>: editing them never
# rebuilds llama.cpp, and a second run is a no-op. A failed compile is only a warning, so the
# llama.cpp build goes on (the Java side then reports "kernels not built"). Everything it prints
# goes to stderr: stdout stays the llama.cpp folder alone.
sha256_stdin() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1; }
build_kernels() {
  local ksrc cc="" c ext="so" kkey kdir kstage abi
  local link=(-shared) target=() csrcs=()
  ksrc="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kernels"
  [[ -f "$ksrc/mmgp_kernels.c" && -f "$ksrc/mmgp_kernels.h" ]] || { echo "mmgp kernels: no sources in $ksrc" >&2; return 1; }
  # Every .c file of native/kernels goes into the one library (sorted, so the key is stable).
  while IFS= read -r c; do csrcs+=("$c"); done < <(LC_ALL=C ls "$ksrc"/*.c)
  for c in "${CC:-}" cc gcc clang; do
    if [[ -n "$c" ]] && command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
  done
  [[ -n "$cc" ]] || { echo "mmgp kernels: no C compiler found (cc, gcc or clang)" >&2; return 1; }
  kkey=$( { for h in "$ksrc"/*.h; do printf '%s\n' "${h##*/}"; cat "$h"; done; for c in "${csrcs[@]}"; do printf '%s\n' "${c##*/}"; cat "$c"; done; printf '%s\n' "$os" "$arch" "$fkey"; } \
    | sha256_stdin) || return 1
  kdir="$cache/native/kernels-${kkey:0:10}"
  if [[ -f "$kdir/BUILD-INFO" && "${MMGP_NATIVE_FORCE:-0}" != "1" ]]; then return 0; fi
  if [[ "$os" == "darwin" ]]; then
    ext="dylib"
    link=(-dynamiclib -Wl,-install_name,@rpath/libmmgp_kernels.dylib)
  fi
  # The best instruction path this CPU and compiler allow: -march=native on x86; on Arm
  # -mcpu=native where the compiler knows it, else the compiler's default target.
  case "$arch" in
    x86_64|amd64|i?86) c=-march=native ;;
    *) c=-mcpu=native ;;
  esac
  if echo 'int mmgp_probe;' | "$cc" "$c" -x c -c -o /dev/null - >/dev/null 2>&1; then target=("$c"); fi
  local cflags=(-O2 ${target[@]+"${target[@]}"} -fPIC -pthread -fvisibility=hidden)
  kstage="$kdir.tmp.$$"
  rm -rf "$kstage"
  mkdir -p "$kstage/lib" "$kstage/include" || return 1
  echo "mmgp kernels: compiling $(for c in "${csrcs[@]}"; do printf 'native/kernels/%s ' "${c##*/}"; done)with $cc ${cflags[*]}" >&2
  # libm after the sources (fmaf, nearbyintf of mmgp_gemm_q8.c's plain C path are calls without FMA/SSE4.1).
  if ! "$cc" "${cflags[@]}" "${link[@]}" -o "$kstage/lib/libmmgp_kernels.$ext" "${csrcs[@]}" -lm >"$kstage/compile.log" 2>&1; then
    tail -n 30 "$kstage/compile.log" >&2
    rm -rf "$kstage"
    return 1
  fi
  cp "$ksrc/mmgp_kernels.h" "$kstage/include/" || { rm -rf "$kstage"; return 1; }
  abi=$(sed -n 's/^#define MMGP_KERNELS_ABI \([0-9][0-9]*\).*/\1/p' "$ksrc/mmgp_kernels.h")
  {
    echo "kind=mmgp-kernels"
    echo "abi=$abi"
    echo "sources=$kkey"
    echo "os=$os"
    echo "arch=$arch"
    echo "features=$features"
    echo "cc=$("$cc" --version 2>/dev/null | head -n 1)"
    echo "cflags=${cflags[*]} ${link[*]} -lm"
    echo "sha256:lib/libmmgp_kernels.$ext=$(sha256_stdin <"$kstage/lib/libmmgp_kernels.$ext")"
  } >"$kstage/BUILD-INFO" || { rm -rf "$kstage"; return 1; }
  rm -rf "$kdir"
  mv "$kstage" "$kdir" || { rm -rf "$kstage"; return 1; }
  echo "mmgp kernels: built $kdir" >&2
}
if ! build_kernels; then
  echo "mmgp native build: warning: the mmgp kernels (native/kernels) were not built; the llama.cpp build goes on" \
       "and CPU peaks will report 'kernels not built'" >&2
fi

# A cached build of this recipe or a later one (another checkout's newer script) is current.
cached_recipe=0
[[ -f "$out/BUILD-INFO" ]] && cached_recipe=$(sed -n 's/^recipe=\([0-9][0-9]*\)$/\1/p' "$out/BUILD-INFO" | head -n 1)
[[ -n "$cached_recipe" ]] || cached_recipe=0
if [[ -f "$out/BUILD-INFO" && "${MMGP_NATIVE_FORCE:-0}" != "1" ]] && (( cached_recipe >= RECIPE )); then
  echo "$out"
  exit 0
fi
[[ -f "$out/BUILD-INFO" ]] && (( cached_recipe < RECIPE )) \
  && echo "the cached build in $out is of recipe $cached_recipe; rebuilding it (recipe $RECIPE)" >&2

work="$cache/native/work-$key"
mkdir -p "$work"
tgz="$work/$NPM_PACKAGE-$NPM_VERSION.tgz"
if [[ ! -f "$tgz" ]]; then
  echo "fetching $NPM_PACKAGE@$NPM_VERSION from the npm registry" >&2
  (cd "$work" && npm pack --silent "$NPM_PACKAGE@$NPM_VERSION" >/dev/null) || die "npm pack $NPM_PACKAGE@$NPM_VERSION failed"
fi
actual=$( (sha256sum "$tgz" 2>/dev/null || shasum -a 256 "$tgz") | cut -d' ' -f1)
if [[ "$actual" != "$NPM_SHA256" ]]; then
  rm -f "$tgz"
  die "checksum mismatch for $NPM_PACKAGE-$NPM_VERSION.tgz: expected $NPM_SHA256, got $actual (file removed; re-run to fetch again)"
fi

src="$work/llama.cpp"
if [[ ! -d "$src/.git" ]]; then
  tar -xzf "$tgz" -C "$work" package/llama/gitRelease.bundle
  rm -rf "$src"
  git clone --quiet "$work/package/llama/gitRelease.bundle" "$src"
fi
head=$(git -C "$src" rev-parse HEAD)
[[ "$head" == "$BUNDLE_COMMIT" ]] || die "bundle HEAD is $head, expected $BUNDLE_COMMIT"

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
extra=()
if [[ "$os" == "darwin" ]]; then
  extra+=(-DGGML_METAL=ON -DCMAKE_INSTALL_RPATH=@loader_path\;@loader_path/../lib)
else
  extra+=("-DCMAKE_INSTALL_RPATH=\$ORIGIN;\$ORIGIN/../lib")
fi
[[ -n "$cuda_tag" ]] && extra+=(-DGGML_CUDA=ON)
# The compiler workarounds (GCC < 13 and AMX tile configs) are decided inside CMake, by the compiler
# it really uses: see cmake/mmgp-after-project.cmake, which also writes what it decided.
extra+=("-DCMAKE_PROJECT_INCLUDE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cmake/mmgp-after-project.cmake")

build="$work/build"
echo "configuring llama.cpp ($head) in $build" >&2
cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DGGML_NATIVE=ON -DGGML_BLAS=OFF -DGGML_OPENMP=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON "${extra[@]}" >"$work/configure.log" 2>&1 \
  || die "cmake configure failed; see $work/configure.log"

jobs="${MMGP_JOBS:-$(nproc 2>/dev/null || sysctl -n hw.ncpu)}"
start=$(date +%s)
echo "building ggml, llama, mtmd, llama-mtmd-cli, llama-quantize with $jobs jobs (several minutes on a cold cache)" >&2
cmake --build "$build" -j "$jobs" --target llama mtmd llama-mtmd-cli llama-quantize >"$work/build.log" 2>&1 \
  || die "build failed; see $work/build.log"
secs=$(( $(date +%s) - start ))

stage="$out.tmp"
rm -rf "$stage"
mkdir -p "$stage/lib" "$stage/bin" "$stage/include"
find "$build" \( -name 'lib*.so*' -o -name 'lib*.dylib' \) -exec cp -P {} "$stage/lib/" \;
cp "$build/bin/llama-mtmd-cli" "$build/bin/llama-quantize" "$stage/bin/"
# Headers of the pinned source: the binding checks compare our FFM signatures against them.
cp "$src"/ggml/include/*.h "$src/include/llama.h" "$src/tools/mtmd/mtmd.h" "$src/tools/mtmd/mtmd-helper.h" "$stage/include/"
{
  echo "npm=$NPM_PACKAGE@$NPM_VERSION"
  echo "commit=$head"
  echo "os=$os"
  echo "arch=$arch"
  echo "features=$features"
  echo "build_seconds=$secs"
  echo "recipe=$RECIPE"
  echo "cxx=$(head -n 1 "$build/mmgp-cxx.txt" 2>/dev/null || echo unknown)"
  echo "jobs=$jobs"
  (cd "$stage" && find lib bin -type f | sort | while read -r f; do
     echo "sha256:$f=$( (sha256sum "$f" 2>/dev/null || shasum -a 256 "$f") | cut -d' ' -f1)"; done)
} >"$stage/BUILD-INFO"
rm -rf "$out"
mv "$stage" "$out"
echo "built in ${secs}s" >&2
echo "$out"
