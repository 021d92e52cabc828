# compose-test.sh's stand-in for the prom/prometheus image: Debian's Prometheus (in the base),
# started the way that image starts it: its configuration in /etc/prometheus/prometheus.yml,
# its data in /prometheus.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN mkdir -p /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
