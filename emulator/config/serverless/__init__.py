"""Reading serverless.yml (the Serverless Framework's service file) into the model, through the builder."""
