# compose-test.sh's stand-in for the apache/kafka image (see kafka-entrypoint.sh); libs/ holds
# the broker's jars, copied from the local Maven repository by compose-test.sh.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY libs/ /opt/kafka/libs/
COPY kafka-entrypoint.sh /usr/local/bin/kafka-entrypoint.sh
RUN chmod 755 /usr/local/bin/kafka-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/kafka-entrypoint.sh"]
