"""SAM and CloudFormation templates: read with their lines, intrinsics resolved, loaded through the builder."""
