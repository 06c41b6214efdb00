"""A test identity provider: makes signing keys, publishes them as a JWKS, and signs
tokens with PyJWT (the reference Python implementation), including the forgeries a
server must refuse. Reads a plan (JSON) from the file named by argv[1]; prints
{"jwks": {...}, "all": {...}, "tokens": {name: token}} (all: the unpublished keys too).

plan: {"keys": [{"kid": "k1", "kty": "RSA" | "EC", "publish": true}],
       "tokens": [{"name": "valid", "kid": "k1", "claims": {...},
                   "forge": null | "none" | "hs256-public-key"}]}
Claims whose value is {"now+": N} become the current time plus N seconds; "$issuer" becomes
the plan's "issuer".
"""
import base64
import hashlib
import hmac
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    keys = {}
    published = []
    everything = []
    for spec in plan["keys"]:
        if spec["kty"] == "RSA":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            alg = "RS256"
            public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        else:
            private = ec.generate_private_key(ec.SECP256R1())
            alg = "ES256"
            public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
        public_jwk.update({"kid": spec["kid"], "alg": alg, "use": "sig"})
        keys[spec["kid"]] = (private, alg)
        everything.append(public_jwk)
        if spec.get("publish", True):
            published.append(public_jwk)
    now = int(time.time())
    tokens = {}
    for spec in plan["tokens"]:
        def value(v):
            if isinstance(v, dict) and "now+" in v:
                return now + v["now+"]
            return plan["issuer"] if v == "$issuer" else v
        claims = {k: value(v) for k, v in spec["claims"].items()}
        private, alg = keys[spec["kid"]]
        forge = spec.get("forge")
        if forge == "none":
            header = {"alg": "none", "typ": "JWT", "kid": spec["kid"]}
            tokens[spec["name"]] = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode()) + "."
        elif forge == "hs256-public-key":
            # The classic confusion: HMAC keyed with the issuer's public key, which anyone has.
            pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            header = {"alg": "HS256", "typ": "JWT", "kid": spec["kid"]}
            signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
            tokens[spec["name"]] = signing_input + "." + b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())
        else:
            tokens[spec["name"]] = jwt.encode(claims, private, algorithm=alg, headers={"kid": spec["kid"]})
    json.dump({"jwks": {"keys": published}, "all": {"keys": everything}, "tokens": tokens}, sys.stdout)


main()
