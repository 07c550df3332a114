# Orthanc with its DICOMweb plugin, from the same Debian packages the tests use.
# Configured by docker/orthanc.json (orthanc/orthanc.json with container networking).
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends orthanc orthanc-dicomweb curl \
    && rm -rf /var/lib/apt/lists/*

COPY docker/orthanc.json /etc/orthanc/segdicom.json
COPY orthanc/forward-stable.lua /etc/orthanc/forward-stable.lua
RUN mkdir -p /var/lib/orthanc/db && chown -R orthanc:orthanc /var/lib/orthanc

USER orthanc
VOLUME ["/var/lib/orthanc/db"]
EXPOSE 8042 4242

# Orthanc asks for a password (docker/orthanc.json): the user segdicom, ORTHANC_PASSWORD.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD curl -fsS -u "segdicom:${ORTHANC_PASSWORD}" http://127.0.0.1:8042/system

CMD ["/usr/sbin/Orthanc", "/etc/orthanc/segdicom.json"]
