#!/usr/bin/env bash
# Builds bundled/libs.zip, the djvet copy that `djvet.importStrategy: useBundled` runs:
#   libs/                    djvet (wheel built from this repository) and its pure-Python
#                            dependencies (bundled/requirements.txt)
#   native/linux-x86_64/     libcst (its pure part and compiled modules for CPython 3.10-3.14,
#                            manylinux_2_28 x86_64; djvet's only native dependency)
# On other platforms the launcher uses a libcst installed in the interpreter (README).
# One archive instead of ~6,600 files (jedi's stubs): the .vsix installs faster, vsce's secret
# scan takes seconds instead of minutes; bundled/tool/server.py unpacks it once into a cache.
# Needs a Python with pip and access to PyPI. DJVET_BUNDLE_PYTHON picks the Python (default python3).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
py=${DJVET_BUNDLE_PYTHON:-python3}
libcst_version=1.9.0
cpythons="310 311 312 313 314"
export PIP_ROOT_USER_ACTION=ignore  # a CI container runs as root: no warning
pip=("$py" -m pip --disable-pip-version-check -q)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

stage=$tmp/stage
mkdir -p "$stage/libs" "$stage/native/linux-x86_64"

"${pip[@]}" wheel "$repo" --no-deps -w "$tmp/wheel"
"${pip[@]}" install --target "$stage/libs" --no-deps --no-compile "$tmp"/wheel/djvet-*.whl
"${pip[@]}" install --target "$stage/libs" --no-deps --no-compile \
  --only-binary=:all: --implementation py --python-version 3.10 \
  -r "$here/bundled/requirements.txt"

for v in $cpythons; do
  "${pip[@]}" download "libcst==$libcst_version" --no-deps --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --implementation cp --python-version "$v" --abi "cp$v" \
    -d "$tmp/libcst"
done
# The wheels differ only in their compiled module (native.cpython-3XX-x86_64-linux-gnu.so),
# so unpacking all of them into one folder gives one libcst that imports on each CPython.
"$py" - "$tmp/libcst" "$stage/native/linux-x86_64" <<'PY'
import pathlib, shutil, sys, zipfile
source, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in sorted(source.glob("libcst-*.whl")):
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            # Tests and the codemod CLI's dist-info are not needed at run time.
            if "/tests/" in name or ".dist-info/" in name:
                continue
            archive.extract(name, target)
shutil.rmtree(target / "libcst" / "tests", ignore_errors=True)
PY

# Not needed at run time: console scripts and byte code.
rm -rf "$stage/libs/bin"
find "$stage" -name __pycache__ -type d -prune -exec rm -rf {} +

# A deterministic archive (sorted names, fixed dates), so its digest changes only with content.
"$py" - "$stage" "$here/bundled/libs.zip" <<'PY'
import hashlib, pathlib, sys, zipfile
stage, archive = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
files = sorted(path for path in stage.rglob("*") if path.is_file())
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zipped:
    for path in files:
        info = zipfile.ZipInfo(path.relative_to(stage).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if path.suffix == ".so" else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zipped.writestr(info, path.read_bytes())
digest = hashlib.sha256(archive.read_bytes()).hexdigest()
archive.with_name(archive.name + ".sha256").write_text(digest + "\n")
print(f"bundle-python: {len(files)} files -> {archive.name} ({archive.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]})")
PY
rm -rf "$here/bundled/libs" "$here/bundled/native"
echo "bundle-python: done in $(( $(date +%s) - start ))s"
