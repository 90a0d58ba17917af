#!/usr/bin/env python3
"""AWS drift benchmark: N resources in a moto server, compared with their Terraform state.

Starts moto (`python3 -m moto.server`) on a free 127.0.0.1 port, creates resources across the
types plumbline reads with boto3, writes the Terraform state (v4) and the `.tf` that declare
them, then times `plumbline scan --tfstate … --aws-endpoint-url …` and reads the number of API
calls from moto's request recorder. Run at two sizes, the calls per resource must stay flat.

    python3 bench/aws_drift.py [--sizes 1000,2000] [--binary target/release/plumbline]

Prints a Markdown table (and writes bench/aws_results.json).
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
ACCOUNT = "123456789012"
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'

# Share of each type in a benchmark of n resources (the rest are S3 buckets).
MIX = {
    "aws_security_group": 0.15,
    "aws_vpc": 0.05,
    "aws_subnet": 0.10,
    "aws_iam_role": 0.10,
    "aws_iam_policy": 0.10,
    "aws_iam_user": 0.05,
    "aws_kms_key": 0.05,
    "aws_ebs_volume": 0.05,
    "aws_instance": 0.05,
    "aws_db_instance": 0.02,
    "aws_lambda_function": 0.03,
}


# New buckets are encrypted with SSE-S3 by default; the provider records it.
SSE_DEFAULT = [{"rule": [{"apply_server_side_encryption_by_default": [
    {"kms_master_key_id": "", "sse_algorithm": "AES256"}], "bucket_key_enabled": False}]}]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    # moto writes its request recording to a file in its working directory unless told
    # otherwise: keep it out of the checkout.
    scratch = tempfile.mkdtemp(prefix="plumbline-moto-")
    env = dict(os.environ, MOTO_RECORDER_FILEPATH=os.path.join(scratch, "requests.jsonl"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=scratch,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/data.json", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("moto did not start: pip install 'moto[server]'")


def post(url):
    urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""), timeout=30)


def clients(url):
    import boto3

    s = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return {n: s.client(n, endpoint_url=url) for n in ["s3", "ec2", "iam", "kms", "rds", "lambda"]}


def instance(ty, i, attributes):
    return ty, {"index_key": i, "schema_version": 0, "attributes": attributes,
                "sensitive_attributes": []}


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "s3:GetObject"], "Resource": "*"}]})


def create(c, n, run):
    """Creates about n resources; returns [(type, instance)] for the state."""
    counts = {t: max(1, int(n * share)) for t, share in MIX.items()}
    counts["aws_s3_bucket"] = max(1, n - sum(counts.values()))
    out = []
    tags = [{"Key": "bench", "Value": run}]
    for i in range(counts["aws_s3_bucket"]):
        name = f"bench-{run}-{i}"
        c["s3"].create_bucket(Bucket=name)
        c["s3"].put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
        # What S3 applies to every new bucket (the emulator leaves it unset).
        c["s3"].put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                       "BucketKeyEnabled": False}]})
        # The attributes the AWS provider (v4+) writes for a new bucket: its inline
        # settings are computed from the bucket, and compared.
        out.append(instance("aws_s3_bucket", i, {
            "id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}", "region": REGION,
            "acl": None, "force_destroy": False, "policy": "",
            "versioning": [{"enabled": False, "mfa_delete": False}],
            "server_side_encryption_configuration": SSE_DEFAULT,
            "logging": [], "lifecycle_rule": [], "cors_rule": [], "grant": [],
            "tags": {"bench": run}, "tags_all": {"bench": run}}))
    vpcs = []
    for i in range(counts["aws_vpc"]):
        v = c["ec2"].create_vpc(CidrBlock=f"10.{i % 250}.0.0/16")["Vpc"]
        vpcs.append(v["VpcId"])
        out.append(instance("aws_vpc", i, {
            "id": v["VpcId"], "cidr_block": v["CidrBlock"], "instance_tenancy": "default",
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{v['VpcId']}", "tags": {}}))
    subnets = []
    for i in range(counts["aws_subnet"]):
        vpc = vpcs[i % len(vpcs)]
        s = c["ec2"].create_subnet(VpcId=vpc, CidrBlock=f"10.{(i % len(vpcs)) % 250}.{i // len(vpcs)}.0/24",
                                   AvailabilityZone=REGION + "a")["Subnet"]
        subnets.append(s["SubnetId"])
        out.append(instance("aws_subnet", i, {
            "id": s["SubnetId"], "vpc_id": vpc, "cidr_block": s["CidrBlock"],
            "availability_zone": REGION + "a", "map_public_ip_on_launch": False,
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{s['SubnetId']}", "tags": {}}))
    for i in range(counts["aws_security_group"]):
        vpc = vpcs[i % len(vpcs)]
        name = f"bench-{run}-{i}"
        g = c["ec2"].create_security_group(GroupName=name, Description="bench", VpcId=vpc)["GroupId"]
        c["ec2"].authorize_security_group_ingress(GroupId=g, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        rule = {"cidr_blocks": ["10.0.0.0/8"], "description": "", "from_port": 443,
                "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
                "security_groups": [], "self": False, "to_port": 443}
        egress = {"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0,
                  "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1",
                  "security_groups": [], "self": False, "to_port": 0}
        out.append(instance("aws_security_group", i, {
            "id": g, "name": name, "description": "bench", "vpc_id": vpc,
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{g}",
            "ingress": [rule], "egress": [egress], "tags": {}}))
    for i in range(counts["aws_iam_role"]):
        name = f"bench-{run}-{i}"
        r = c["iam"].create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]
        out.append(instance("aws_iam_role", i, {
            "id": name, "name": name, "arn": r["Arn"], "path": "/",
            "assume_role_policy": TRUST, "max_session_duration": 3600, "tags": {}}))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/bench-{run}-0"
    for i in range(counts["aws_iam_policy"]):
        name = f"bench-{run}-{i}"
        p = c["iam"].create_policy(PolicyName=name, PolicyDocument=POLICY)["Policy"]
        out.append(instance("aws_iam_policy", i, {
            "id": p["Arn"], "arn": p["Arn"], "name": name, "path": "/", "policy": POLICY,
            "tags": {}}))
    for i in range(counts["aws_iam_user"]):
        name = f"bench-{run}-{i}"
        u = c["iam"].create_user(UserName=name)["User"]
        out.append(instance("aws_iam_user", i, {
            "id": name, "name": name, "arn": u["Arn"], "path": "/", "tags": {}}))
    for i in range(counts["aws_kms_key"]):
        k = c["kms"].create_key(Description=f"bench-{run}-{i}")["KeyMetadata"]
        out.append(instance("aws_kms_key", i, {
            "id": k["KeyId"], "key_id": k["KeyId"], "arn": k["Arn"],
            "description": f"bench-{run}-{i}", "enable_key_rotation": False, "tags": {}}))
    for i in range(counts["aws_ebs_volume"]):
        v = c["ec2"].create_volume(AvailabilityZone=REGION + "a", Size=8, VolumeType="gp2")
        out.append(instance("aws_ebs_volume", i, {
            "id": v["VolumeId"], "availability_zone": REGION + "a", "size": 8, "type": "gp2",
            "encrypted": False,
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{v['VolumeId']}", "tags": {}}))
    if counts["aws_instance"]:
        res = c["ec2"].run_instances(ImageId="ami-12c6146b", MinCount=counts["aws_instance"],
                                     MaxCount=counts["aws_instance"], InstanceType="t3.micro",
                                     SubnetId=subnets[0])
        for i, inst in enumerate(res["Instances"]):
            out.append(instance("aws_instance", i, {
                "id": inst["InstanceId"], "ami": "ami-12c6146b", "instance_type": "t3.micro",
                "subnet_id": subnets[0],
                "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{inst['InstanceId']}",
                "tags": {}}))
    for i in range(counts["aws_db_instance"]):
        name = f"bench-{run}-{i}"
        c["rds"].create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro",
                                    Engine="postgres", AllocatedStorage=20,
                                    MasterUsername="bench", MasterUserPassword="bench-password")
        out.append(instance("aws_db_instance", i, {
            "id": name, "identifier": name, "instance_class": "db.t3.micro",
            "engine": "postgres", "allocated_storage": 20, "password": "bench-password",
            "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{name}", "tags": {}}))
    code = zip_bytes()
    for i in range(counts["aws_lambda_function"]):
        name = f"bench-{run}-{i}"
        f = c["lambda"].create_function(FunctionName=name, Runtime="python3.12", Role=role_arn,
                                        Handler="index.handler", Code={"ZipFile": code})
        out.append(instance("aws_lambda_function", i, {
            "id": name, "function_name": name, "arn": f["FunctionArn"],
            "runtime": "python3.12", "handler": "index.handler", "role": role_arn,
            "memory_size": f.get("MemorySize", 128), "timeout": f.get("Timeout", 3),
            "tags": {}}))
    return out


def zip_bytes():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def write_workspace(d, items):
    by_type = {}
    for ty, inst in items:
        by_type.setdefault(ty, []).append(inst)
    resources = []
    tf = []
    for ty in sorted(by_type):
        resources.append({"mode": "managed", "type": ty, "name": "bench", "provider": PROVIDER,
                          "instances": by_type[ty]})
        tf.append(f'resource "{ty}" "bench" {{\n  count = {len(by_type[ty])}\n}}\n')
    state = {"version": 4, "terraform_version": "1.9.5", "serial": 1,
             "lineage": str(uuid.uuid4()), "outputs": {}, "resources": resources,
             "check_results": None}
    with open(os.path.join(d, "main.tf"), "w") as f:
        f.write("\n".join(tf))
    with open(os.path.join(d, "terraform.tfstate"), "w") as f:
        json.dump(state, f, indent=2)


def recorded_calls(url):
    with urllib.request.urlopen(url + "/moto-api/recorder/download-recording", timeout=60) as r:
        return sum(1 for line in r.read().decode().splitlines() if line.strip())


def run_one(binary, n, runs):
    proc, url = start_moto()
    try:
        c = clients(url)
        run = uuid.uuid4().hex[:6]
        t0 = time.time()
        items = create(c, n, run)
        made = time.time() - t0
        with tempfile.TemporaryDirectory() as d:
            write_workspace(d, items)
            env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                       AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
            # PLUMBLINE_BENCH_TIMINGS=1: print plumbline's --timings of each run (the slowest
            # rules pass it adds makes the policy runs slower: figures are then not recorded).
            timings = bool(os.environ.get("PLUMBLINE_BENCH_TIMINGS"))

            def scan(label, extra):
                """One timed scan: (wall seconds, completed process)."""
                t = time.time()
                p = subprocess.run([binary, "scan", d, "--worktree", "--no-config", "-q",
                                    "--tfstate", os.path.join(d, "terraform.tfstate"),
                                    "--aws-endpoint-url", url, "--aws-region", REGION,
                                    "--format", "json", "--fail-on", "never"]
                                   + extra + (["--timings"] if timings else []),
                                   env=env, capture_output=True, text=True)
                wall = time.time() - t
                if p.returncode not in (0, 1, 3):
                    sys.exit(f"plumbline failed ({p.returncode}): {p.stderr[-2000:]}")
                if timings:
                    print(f"--- {n} resources, {label}:\n{p.stderr}", file=sys.stderr)
                return wall, p

            # The AWS part alone: without policies there is no static pass over the .tf files
            # (one root module of n resources) and no policy run on drifted live resources.
            drift_only = [scan("--no-builtin", ["--no-builtin"])[0] for _ in range(runs)]
            walls = []
            for _ in range(runs):
                post(url + "/moto-api/recorder/reset-recording")
                post(url + "/moto-api/recorder/start-recording")
                wall, p = scan("policies on", [])
                walls.append(wall)
                post(url + "/moto-api/recorder/stop-recording")
                calls = recorded_calls(url)
                out = json.loads(p.stdout)
            drift = [f for f in out.get("findings", []) if f["ruleId"].startswith("PL-DRIFT-01")]
            incomplete = [x for x in out.get("notifications", []) if x.get("level") == "error"]
            # Nothing changed behind Terraform's back: any finding is a mismatch between the
            # state this script writes and what plumbline reads. Show a few.
            for f in drift[:5]:
                print(f"drift in an unchanged account: {f['message']}", file=sys.stderr)
            for x in incomplete[:5]:
                print(f"error: {x['code']}: {x['message']}", file=sys.stderr)
            return {"resources": len(items), "create_s": round(made, 1),
                    "wall_s": sorted(walls)[len(walls) // 2], "walls": walls, "calls": calls,
                    "drift_only_s": sorted(drift_only)[len(drift_only) // 2],
                    "drift_only_walls": drift_only,
                    "calls_per_resource": round(calls / len(items), 3),
                    "drift_findings": len(drift), "errors": len(incomplete)}
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,2000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "plumbline"))
    a = ap.parse_args()
    rows = [run_one(a.binary, int(n), a.runs) for n in a.sizes.split(",")]
    print("| resources | scan, median wall | AWS drift only (--no-builtin) | API calls | "
          "calls per resource | drift findings | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['resources']} | {r['wall_s']:.2f}s | {r['drift_only_s']:.2f}s | {r['calls']} | "
              f"{r['calls_per_resource']} | {r['drift_findings']} | {r['errors']} |")
    with open(os.path.join(ROOT, "bench", "aws_results.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
