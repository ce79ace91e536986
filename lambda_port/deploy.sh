#!/usr/bin/env bash
# Deploys the training function to AWS Lambda as a custom runtime (provided.al2023):
#   1. builds `bootstrap` (Release) and packages it "static-enough": the binary, every shared
#      library it loads (glibc and the dynamic loader included) and a small /bin/sh launcher
#      named bootstrap that runs it through the bundled loader, so the Debian-built binary does
#      not depend on the libraries of Amazon Linux 2023;
#   2. creates the function, or updates its code and configuration (aws CLI);
#   3. optionally uploads prepared dataset files to s3://BUCKET/PREFIX with `siren kv put`
#      (framed siren objects, readable by the s3:// store) or, with --raw, `aws s3 cp`.
# Credentials come from the aws CLI's and siren's standard chain; nothing here prints them.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: lambda_port/deploy.sh --function NAME --role ROLE_ARN [options]
       lambda_port/deploy.sh --zip-only [--out FILE]

  --function NAME     Lambda function name (created if missing, else updated)
  --role ARN          execution role ARN (needs S3 access to the job's bucket; see README)
  --memory MB         memory size, 128-10240 (default 1024)
  --timeout S         timeout in seconds, 1-900 (default 900)
  --region R          AWS region (default $AWS_REGION, else us-east-1)
  --build DIR         build directory (default build-lambda in the source tree)
  --out FILE          the zip package (default DIR/function.zip)
  --zip-only          build and package only; no AWS calls
  --upload DIR        upload every file under DIR ...
  --kv s3://B/P       ... into this store, key = path relative to DIR (siren kv put)
  --raw               upload with `aws s3 cp --recursive` instead (unframed objects)
  -h, --help          this help
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
fn="" role="" memory=1024 timeout=900 region=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
build="$src/build-lambda" out="" zip_only=0 upload="" kv="" raw=0
while (($#)); do
  case "$1" in
    --function) fn=$2; shift 2 ;;
    --role) role=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --zip-only) zip_only=1; shift ;;
    --upload) upload=$2; shift 2 ;;
    --kv) kv=$2; shift 2 ;;
    --raw) raw=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
die() { echo "deploy.sh: $*" >&2; exit 1; }
if ((!zip_only)); then
  [[ $fn =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "--function NAME is required (A-Z a-z 0-9 - _)"
  [[ $role == arn:aws*:iam::*:role/* ]] || die "--role ROLE_ARN is required (arn:aws:iam::ACCOUNT:role/NAME)"
  [[ $memory =~ ^[0-9]+$ ]] && ((memory >= 128 && memory <= 10240)) || die "--memory: 128-10240"
  [[ $timeout =~ ^[0-9]+$ ]] && ((timeout >= 1 && timeout <= 900)) || die "--timeout: 1-900"
  command -v aws >/dev/null || die "the aws CLI is needed to create or update the function"
fi
[[ -z $upload || -n $kv ]] || die "--upload DIR needs --kv s3://BUCKET/PREFIX"
out=${out:-$build/function.zip}

# 1. Build and package.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIREN_TESTS=OFF >/dev/null
cmake --build "$build" --target bootstrap siren -j"$(nproc)" >/dev/null
pkg="$build/lambda-package"
rm -rf "$pkg"
mkdir -p "$pkg/bin" "$pkg/lib" "$pkg/etc"
[[ -r /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$pkg/etc/"
cp "$build/bootstrap" "$pkg/bin/siren-bootstrap"
strip "$pkg/bin/siren-bootstrap" 2>/dev/null || true
# Every library the loader resolves, and the loader itself.
ldd "$build/bootstrap" | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}' |
  while read -r lib; do cp -L "$lib" "$pkg/lib/"; done
loader=$(cd "$pkg/lib" && ls ld-linux-*.so.* 2>/dev/null | head -1)
[[ -n $loader ]] || die "no dynamic loader found in ldd's output"
cat >"$pkg/bootstrap" <<EOF
#!/bin/sh
# Lambda runs this file; it starts the runtime with the bundled loader and libraries.
d=\$(cd "\$(dirname "\$0")" && pwd)
# The binary's libcurl was built for Debian's CA bundle path; use the system's bundle
# (Amazon Linux: /etc/pki/tls/certs/ca-bundle.crt), else the one packaged with it.
if [ -z "\${SSL_CERT_FILE:-}" ]; then
  for f in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt "\$d/etc/ca-certificates.crt"; do
    if [ -r "\$f" ]; then SSL_CERT_FILE=\$f; export SSL_CERT_FILE; break; fi
  done
fi
exec "\$d/lib/$loader" --library-path "\$d/lib" "\$d/bin/siren-bootstrap" "\$@"
EOF
chmod 755 "$pkg/bootstrap" "$pkg/bin/siren-bootstrap"
rm -f "$out"
if command -v zip >/dev/null; then
  (cd "$pkg" && zip -q -r -9 "$out" bootstrap bin lib etc)
else
  (cd "$pkg" && python3 -m zipfile -c "$out" bootstrap bin lib etc)
fi
echo "deploy.sh: package $out ($(du -h "$out" | cut -f1))"
case "$(uname -m)" in
  x86_64) arch=x86_64 ;;
  aarch64) arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac
((zip_only)) && exit 0

# 2. Create or update the function.
export AWS_REGION=$region AWS_DEFAULT_REGION=$region
if aws lambda get-function --function-name "$fn" >/dev/null 2>&1; then
  echo "deploy.sh: updating $fn"
  aws lambda update-function-code --function-name "$fn" --zip-file "fileb://$out" \
    --architectures "$arch" >/dev/null
  aws lambda wait function-updated --function-name "$fn"
  aws lambda update-function-configuration --function-name "$fn" --role "$role" \
    --memory-size "$memory" --timeout "$timeout" --runtime provided.al2023 \
    --handler bootstrap >/dev/null
  aws lambda wait function-updated --function-name "$fn"
else
  echo "deploy.sh: creating $fn"
  aws lambda create-function --function-name "$fn" --runtime provided.al2023 \
    --handler bootstrap --architectures "$arch" --role "$role" --memory-size "$memory" \
    --timeout "$timeout" --zip-file "fileb://$out" >/dev/null
  aws lambda wait function-active --function-name "$fn"
fi
echo "deploy.sh: $fn ready ($memory MB, ${timeout} s, provided.al2023, $arch, $region)"

# 3. Upload dataset files.
if [[ -n $upload ]]; then
  [[ -d $upload ]] || die "--upload $upload: not a directory"
  if ((raw)); then
    dest=${kv%%\?*}
    aws s3 cp --recursive --only-show-errors "$upload" "$dest/"
  else
    (cd "$upload" && find . -type f | sed 's|^\./||' | sort) | while read -r key; do
      "$build/siren" kv put --kv "$kv" "$key" "$upload/$key"
    done
  fi
  echo "deploy.sh: uploaded $(find "$upload" -type f | wc -l) files to ${kv%%\?*}"
fi
