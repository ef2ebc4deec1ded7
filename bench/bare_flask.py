"""The floor for ``bench_get.py``: a bare Flask app answering a small JSON object, served like Sharecast."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def earnings():
    return {"currency": "CNY", "pending": "0.00", "approved": "0.00", "paid": "0.00", "reversed": "0.00"}
