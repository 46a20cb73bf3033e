// helm-render: a small stand-in for `helm template` used to test the chart
// where no helm binary is available.
//
// It uses the same building blocks as Helm 3 — Go's text/template, the same
// Sprig v3 function library, sigs.k8s.io/yaml's ancestor github.com/ghodss/yaml
// for toYaml/fromYaml and for parsing the rendered manifests, and
// xeipuuv/gojsonschema for values.schema.json — wired the way Helm's engine
// wires them (pkg/engine/engine.go and funcs.go): one template set holding
// every file under templates/, partials (`_*`) not rendered on their own,
// `include`, `tpl`, `required`, `lookup` (always empty, as in `helm template`),
// missingkey=zero with "<no value>" removed, .Release/.Chart/.Capabilities/
// .Template/.Files, values coalesced over the chart's values.yaml (null deletes
// a key), the Chart.yaml kubeVersion constraint checked, and the coalesced
// values validated against values.schema.json before rendering.
//
// Not implemented (the chart must not use them): toToml/fromToml,
// .Files.Glob/AsConfig/AsSecrets, subcharts/dependencies, --set parsing,
// .helmignore.
//
// Usage:
//
//	helm-render --chart DIR [-f values.yaml]... [--name R] [--namespace NS]
//	            [--kube-version v1.30.0] [--api-versions group/version]...
//	            [--is-upgrade] [--skip-schema-validation] [--output json|yaml]
//
// json output (default): {"values": {...}, "manifests": [{"template": ...,
// "object": {...}}], "notes": "..."}. Any failure prints "Error: ..." on
// stderr and exits 1, as helm does.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
	"github.com/xeipuuv/gojsonschema"
)

const recursionMaxNums = 1000

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Metadata mirrors helm's chart.Metadata (the fields templates read as .Chart.X).
type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []interface{}     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []interface{}     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

// KubeVersion mirrors chartutil.KubeVersion.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv *KubeVersion) String() string     { return kv.Version }
func (kv *KubeVersion) GitVersion() string { return kv.Version }

// VersionSet mirrors chartutil.VersionSet.
type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// Capabilities mirrors chartutil.Capabilities.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion map[string]string
}

// Files mirrors the part of helm's engine.files the chart may use.
type Files map[string][]byte

func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) Lines(name string) []string {
	s := string(f[name])
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

// ---- functions Helm adds to Sprig (pkg/engine/funcs.go) ----

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toYaml":        toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		// late-bound, as in helm
		"include": func(string, interface{}) string { return "not implemented" },
		"tpl":     func(string, interface{}) interface{} { return "not implemented" },
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warn)
			} else if s, ok := val.(string); ok && s == "" {
				return val, errors.New(warn)
			}
			return val, nil
		},
		// `helm template` has no cluster: lookup answers an empty map.
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func includeFun(t *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
}

func tplFun(parent *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(tpl string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{
			"include": includeFun(t, includedNames),
			"tpl":     tplFun(t, includedNames),
		})
		t, err = t.New(parent.Name()).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", tpl, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

// ---- values ----

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := ioutil.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", file, err)
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return m, nil
}

// mergeMaps merges b over a (helm's cli/values mergeMaps for several -f files).
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if bv, ok := out[k]; ok {
				if bvm, ok := bv.(map[string]interface{}); ok {
					out[k] = mergeMaps(bvm, vm)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

// coalesce puts user values over the chart defaults; a null user value
// deletes the default (helm's chartutil.CoalesceValues).
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, uv := range user {
		if uv == nil {
			delete(out, k)
			continue
		}
		if um, ok := uv.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = coalesce(um, dm)
				continue
			}
		}
		out[k] = uv
	}
	return out
}

func validateSchema(schemaFile string, values map[string]interface{}) error {
	schema, err := ioutil.ReadFile(schemaFile)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(valuesJSON))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if result.Valid() {
		return nil
	}
	var sb strings.Builder
	for _, e := range result.Errors() {
		sb.WriteString(fmt.Sprintf("- %s\n", e))
	}
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s", "aura", sb.String())
}

// ---- manifests ----

var sep = regexp.MustCompile("(?:^|\\s*\n)---\\s*")

// splitManifests mirrors helm's releaseutil.SplitManifests.
func splitManifests(bigFile string) []string {
	var docs []string
	bigFileTmp := strings.TrimSpace(bigFile)
	for _, d := range sep.Split(bigFileTmp, -1) {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		docs = append(docs, d)
	}
	return docs
}

type manifest struct {
	Template string      `json:"template"`
	Object   interface{} `json:"object"`
}

type output struct {
	Values    map[string]interface{} `json:"values"`
	Manifests []manifest             `json:"manifests"`
	Notes     string                 `json:"notes"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "Error: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var valueFiles, apiVersions multiFlag
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Kubernetes version for .Capabilities")
	isUpgrade := flag.Bool("is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	format := flag.String("output", "json", "json or yaml")
	skipSchema := flag.Bool("skip-schema-validation", false, "do not validate the values against values.schema.json (as helm's flag)")
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&valueFiles, "values", "values file (repeatable)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	flag.Parse()
	if *chartDir == "" {
		fail("--chart is required")
	}

	// Chart.yaml
	chartYAML, err := ioutil.ReadFile(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		fail("%v", err)
	}
	var meta Metadata
	if err := yaml.Unmarshal(chartYAML, &meta); err != nil {
		fail("Chart.yaml: %v", err)
	}
	if meta.APIVersion != "v2" || meta.Name == "" || meta.Version == "" {
		fail("Chart.yaml: apiVersion v2, name and version are required")
	}
	if _, err := semver.NewVersion(meta.Version); err != nil {
		fail("Chart.yaml: version %q is not SemVer 2: %v", meta.Version, err)
	}

	// Capabilities
	kv, err := semver.NewVersion(*kubeVersion)
	if err != nil {
		fail("--kube-version: %v", err)
	}
	if meta.KubeVersion != "" {
		c, err := semver.NewConstraint(meta.KubeVersion)
		if err != nil {
			fail("Chart.yaml kubeVersion: %v", err)
		}
		if !c.Check(kv) {
			fail("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", meta.KubeVersion, *kubeVersion)
		}
	}
	apis := VersionSet{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
		"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"}
	apis = append(apis, apiVersions...)
	caps := &Capabilities{
		KubeVersion: KubeVersion{Version: "v" + kv.String(), Major: fmt.Sprint(kv.Major()), Minor: fmt.Sprint(kv.Minor())},
		APIVersions: apis,
		HelmVersion: map[string]string{"Version": "v3-compatible (helm-render)"},
	}

	// Values
	defaults, err := readYAMLMap(filepath.Join(*chartDir, "values.yaml"))
	if err != nil {
		fail("%v", err)
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		m, err := readYAMLMap(f)
		if err != nil {
			fail("%v", err)
		}
		user = mergeMaps(user, m)
	}
	values := coalesce(user, defaults)
	if *skipSchema {
		// nothing
	} else if err := validateSchema(filepath.Join(*chartDir, "values.schema.json"), values); err != nil {
		fail("%v", err)
	}

	// Files (everything that is not a template or chart metadata)
	files := Files{}
	_ = filepath.Walk(*chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(*chartDir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "templates/"), strings.HasPrefix(rel, "charts/"),
			rel == "Chart.yaml", rel == "Chart.lock", rel == "values.yaml", rel == "values.schema.json":
			return nil
		}
		b, _ := ioutil.ReadFile(p)
		files[rel] = b
		return nil
	})

	// Templates: every file under templates/, named "<chart>/templates/<file>".
	var names []string
	sources := map[string]string{}
	tplDir := filepath.Join(*chartDir, "templates")
	_ = filepath.Walk(tplDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(tplDir, p)
		n := path.Join(meta.Name, "templates", filepath.ToSlash(rel))
		b, _ := ioutil.ReadFile(p)
		sources[n] = string(b)
		names = append(names, n)
		return nil
	})
	sort.Strings(names)

	t := template.New("gotpl")
	t.Option("missingkey=zero")
	includedNames := make(map[string]int)
	fm := funcMap()
	fm["include"] = includeFun(t, includedNames)
	fm["tpl"] = tplFun(t, includedNames)
	t.Funcs(fm)
	for _, n := range names {
		if _, err := t.New(n).Parse(sources[n]); err != nil {
			fail("parse error in %q: %v", n, err)
		}
	}

	release := map[string]interface{}{
		"Name": *name, "Namespace": *namespace, "IsUpgrade": *isUpgrade, "IsInstall": !*isUpgrade,
		"Revision": 1, "Service": "Helm",
	}
	if *isUpgrade {
		release["Revision"] = 2
	}

	out := output{Values: values, Manifests: []manifest{}}
	var yamlOut bytes.Buffer
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") {
			continue
		}
		data := map[string]interface{}{
			"Values":       values,
			"Release":      release,
			"Chart":        &meta,
			"Capabilities": caps,
			"Files":        files,
			"Subcharts":    map[string]interface{}{},
			"Template":     map[string]interface{}{"Name": n, "BasePath": path.Join(meta.Name, "templates")},
		}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, n, data); err != nil {
			fail("%v", err)
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.HasSuffix(n, "NOTES.txt") {
			out.Notes = rendered
			continue
		}
		if !strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml") {
			continue
		}
		for _, doc := range splitManifests(rendered) {
			j, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				fail("YAML parse error on %s: %v", n, err)
			}
			var obj interface{}
			if err := json.Unmarshal(j, &obj); err != nil {
				fail("YAML parse error on %s: %v", n, err)
			}
			if obj == nil {
				continue // a document of comments only
			}
			out.Manifests = append(out.Manifests, manifest{Template: n, Object: obj})
			fmt.Fprintf(&yamlOut, "---\n# Source: %s\n%s\n", n, doc)
		}
	}

	switch *format {
	case "yaml":
		os.Stdout.Write(yamlOut.Bytes())
		if out.Notes != "" {
			fmt.Fprintf(os.Stdout, "\nNOTES:\n%s\n", out.Notes)
		}
	case "json":
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fail("%v", err)
		}
	default:
		fail("--output must be json or yaml")
	}
}
