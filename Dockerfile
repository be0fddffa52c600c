# Image of the ONTAP extension controller (`ontap-extension`); it also carries the fake ONTAP
# server (`ontap-fake`) used by the kind setup in hack/kind-up.sh.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md* ./
COPY controller ./controller
COPY ontap ./ontap
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Same numeric user as the chart's securityContext; nothing in the image needs root.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["ontap-extension"]
