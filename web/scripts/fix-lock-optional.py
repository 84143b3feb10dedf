#!/usr/bin/env python3
# The npm registry reachable here serves only the platform packages this
# machine uses, so `npm install` leaves the other platforms optional rollup
# binaries out of package-lock.json, and `npm ci` then refuses the lock
# ("Missing: @rollup/rollup-... from lock file"). This adds them back as
# optional, os/cpu/libc-restricted entries that npm skips on this platform.
# Run after any `npm install`: python3 scripts/fix-lock-optional.py package-lock.json
import json,sys,re
p=sys.argv[1]
d=json.load(open(p))
pk=d['packages']
ver=None
for k,v in pk.items():
    if k=='node_modules/rollup':
        ver=v['optionalDependencies']
        break
added=[]
for name,version in ver.items():
    key='node_modules/'+name
    if key in pk: continue
    m=re.match(r'@rollup/rollup-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?$',name)
    osn,cpu,abi=m.group(1),m.group(2),m.group(3)
    e={"version":version,"cpu":[cpu],"dev":True,"license":"MIT","optional":True,"os":[osn]}
    if osn=='linux' and abi:
        e["libc"]=["musl" if abi.startswith('musl') else "glibc"]
    pk[key]=e
    added.append(name)
d['packages']=dict(sorted(pk.items(), key=lambda kv:(kv[0]!='', kv[0])))
json.dump(d,open(p,'w'),indent=2)
open(p,'a').write('\n')
print('added',len(added))
