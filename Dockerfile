# optviz in a container: the page and Debian's nginx, on port 8501, as scripts/serve runs them on a
# machine: REPLICAS processes behind one port (1 by default; one per core the container has).
#   docker build -t optviz . && docker run -p 8501:8501 -e REPLICAS=2 optviz
# (Not built in this project's CI: its machines have no Docker engine. compose.yaml: the same.)
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /optviz
COPY requirements.txt ./
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
COPY app.py ./
COPY .streamlit .streamlit
COPY optviz optviz
COPY surfaces surfaces
COPY ui ui
COPY scripts scripts

# The page copies plotly.js into static/ when it first runs; the classes' votes go to /data (a
# volume: a new container keeps them).
RUN useradd --create-home optviz && mkdir -p static /data && chown optviz static /data
USER optviz
VOLUME /data

ENV REPLICAS=1 OPTVIZ_DATA=/data PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["sh", "-c", "exec python -m scripts.serve --replicas \"$REPLICAS\" --port 8501 --address 0.0.0.0"]
