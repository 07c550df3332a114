#!/usr/bin/env bash
# Start the development Orthanc (`make pacs`): DICOMweb on http://127.0.0.1:8042/dicom-web,
# DICOM ORTHANC@127.0.0.1:4242, storage under ./data/orthanc (SEGDICOM_ORTHANC_STORAGE).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
orthanc="${ORTHANC_BIN:-/usr/sbin/Orthanc}"

if [[ ! -x "$orthanc" ]]; then
  echo "Orthanc not found at $orthanc: apt-get install orthanc orthanc-dicomweb" >&2
  exit 1
fi
if [[ ! -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]]; then
  echo "DICOMweb plugin missing: apt-get install orthanc-dicomweb" >&2
  exit 1
fi

export SEGDICOM_ORTHANC_STORAGE="${SEGDICOM_ORTHANC_STORAGE:-$repo/data/orthanc}"
mkdir -p "$SEGDICOM_ORTHANC_STORAGE"
echo "Orthanc: http://127.0.0.1:8042 (DICOMweb /dicom-web), storage $SEGDICOM_ORTHANC_STORAGE"
echo "Annotator: SEGDICOM_DICOMWEB_URL=http://127.0.0.1:8042/dicom-web make run"
exec "$orthanc" "$here/orthanc.json"
