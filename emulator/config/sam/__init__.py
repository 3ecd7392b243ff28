"""SAM's own resource types (functions' Api events, AWS::Serverless::Api, Globals) for the template loader."""
