@app
siren-bootstrap-test

@http
post /invoke

@plugins
c-runtime

@aws
runtime crt
region us-east-1
timeout 300
memory 1024
