//! GeoJSON features parsed with serde straight into redline's own records — no
//! `serde_json::Value` tree, no intermediate `geojson` types. Coordinates of any nesting are
//! read into one flat buffer and cut into rings and polygons afterwards.

use crate::value::Value;
use geo::Coord;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// Raw polygons: polygon → rings → positions, as the file has them.
pub(crate) type RawPolygons = Vec<Vec<Vec<Coord<f64>>>>;

/// A feature's geometry as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawGeometry {
    /// `null` or absent.
    Null,
    /// Polygon or MultiPolygon.
    Polygons(RawPolygons),
    /// Any other geometry type (the name).
    Other(String),
    /// A Polygon/MultiPolygon whose coordinates have the wrong nesting.
    Malformed(String),
}

/// A feature as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawFeature<'a> {
    pub id: Option<String>,
    pub geometry: RawGeometry,
    /// Property names borrow from the text where they can (no escapes).
    pub properties: Vec<(Cow<'a, str>, Value)>,
}

/// The name in a legacy `crs` member: `{"type": "name", "properties": {"name": "EPSG:4529"}}`.
pub(crate) fn crs_name(crs: &serde_json::Value) -> Option<String> {
    crs.pointer("/properties/name")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Keys of a Feature object, matched without allocating.
enum FeatureKey {
    Type,
    Id,
    Geometry,
    Properties,
    Other,
}

impl<'de> Deserialize<'de> for FeatureKey {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FeatureKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FeatureKey, E> {
                Ok(match v {
                    "type" => FeatureKey::Type,
                    "id" => FeatureKey::Id,
                    "geometry" => FeatureKey::Geometry,
                    "properties" => FeatureKey::Properties,
                    _ => FeatureKey::Other,
                })
            }
        }
        de.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawFeature<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(FeatureVisitor)
    }
}

struct FeatureVisitor;

impl<'de> Visitor<'de> for FeatureVisitor {
    type Value = RawFeature<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFeature<'de>, A::Error> {
        let mut feature = RawFeature {
            id: None,
            geometry: RawGeometry::Null,
            properties: Vec::new(),
        };
        while let Some(key) = map.next_key::<FeatureKey>()? {
            match key {
                FeatureKey::Type => {
                    let kind: String = map.next_value()?;
                    if kind != "Feature" {
                        return Err(de::Error::custom(format!(
                            "type is {kind:?}, expected \"Feature\""
                        )));
                    }
                }
                FeatureKey::Id => feature.id = map.next_value::<ScalarValue>()?.0.as_text(),
                FeatureKey::Geometry => {
                    feature.geometry = map
                        .next_value::<Option<GeometryValue>>()?
                        .map_or(RawGeometry::Null, |g| g.0)
                }
                FeatureKey::Properties => {
                    feature.properties = map
                        .next_value::<Option<Properties>>()?
                        .map(|p| p.0)
                        .unwrap_or_default()
                }
                FeatureKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(feature)
    }
}

/// A property value: scalars as they are, arrays and objects kept as their JSON text.
struct ScalarValue(Value);

impl<'de> Deserialize<'de> for ScalarValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Text(v)))
            }
            fn visit_unit<E>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Null))
            }
            fn visit_none<E>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ScalarValue, D::Error> {
                ScalarValue::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ScalarValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ScalarValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
        }
        de.deserialize_any(V)
    }
}

struct Properties<'de>(Vec<(Cow<'de, str>, Value)>);

/// A property name, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        de.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Properties<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a properties object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties<'de>, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<Key<'de>, ScalarValue>()? {
                    out.push((k.0, v.0));
                }
                Ok(Properties(out))
            }
        }
        de.deserialize_map(V)
    }
}

struct GeometryValue(RawGeometry);

impl<'de> Deserialize<'de> for GeometryValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(GeometryVisitor)
    }
}

struct GeometryVisitor;

impl<'de> Visitor<'de> for GeometryVisitor {
    type Value = GeometryValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GeometryValue, A::Error> {
        let mut kind: Option<String> = None;
        let mut tree = CoordTree::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value()?),
                "coordinates" => {
                    let raw: &'de serde_json::value::RawValue = map.next_value()?;
                    tree = CoordTree::parse(raw.get().as_bytes()).map_err(de::Error::custom)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = kind.ok_or_else(|| de::Error::custom("geometry has no \"type\""))?;
        Ok(GeometryValue(tree.into_geometry(kind)))
    }
}

/// Nested coordinate arrays of any depth, flattened: every position, and where each array
/// that holds arrays closed (its depth and the number of positions read so far).
struct CoordTree {
    xy: Vec<Coord<f64>>,
    closes: Vec<(u8, usize)>,
    position_depth: Option<u8>,
    mixed: bool,
}

impl Default for CoordTree {
    fn default() -> Self {
        // Most parcels have a few dozen vertices: start big enough to rarely grow.
        CoordTree {
            xy: Vec::with_capacity(32),
            closes: Vec::with_capacity(4),
            position_depth: None,
            mixed: false,
        }
    }
}

impl CoordTree {
    /// Reads a `coordinates` value (already checked to be JSON by serde_json): brackets and
    /// numbers, by hand — the serde visitor per number costs more than the number itself.
    fn parse(text: &[u8]) -> Result<CoordTree, String> {
        let mut tree = CoordTree::default();
        let (mut depth, mut count, mut pair) = (0u8, 0usize, [0.0f64; 2]);
        let mut i = 0;
        while i < text.len() {
            match text[i] {
                b'[' => {
                    depth = depth.checked_add(1).ok_or("coordinates nested too deep")?;
                    count = 0;
                }
                b']' => {
                    if count > 0 {
                        if count < 2 {
                            return Err("a position needs at least two numbers".into());
                        }
                        tree.xy.push(Coord {
                            x: pair[0],
                            y: pair[1],
                        });
                        match tree.position_depth {
                            None => tree.position_depth = Some(depth),
                            Some(d) if d != depth => tree.mixed = true,
                            _ => {}
                        }
                        count = 0;
                    } else {
                        tree.closes.push((depth, tree.xy.len()));
                    }
                    depth = depth.saturating_sub(1);
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' => {}
                b'-' | b'0'..=b'9' => {
                    // fast-float2 parses straight from bytes, correctly rounded.
                    let (number, used) = fast_float2::parse_partial::<f64, _>(&text[i..])
                        .map_err(|_| format!("bad number in coordinates at byte {i}"))?;
                    let end = i + used;
                    if count < 2 {
                        pair[count] = number;
                    }
                    count += 1;
                    i = end;
                    continue;
                }
                other => return Err(format!("unexpected {:?} in coordinates", other as char)),
            }
            i += 1;
        }
        if tree.position_depth.is_some()
            && tree
                .closes
                .iter()
                .any(|(d, _)| Some(*d) >= tree.position_depth)
        {
            tree.mixed = true; // an array that mixes numbers and arrays
        }
        Ok(tree)
    }

    fn into_geometry(self, kind: String) -> RawGeometry {
        let expected = match kind.as_str() {
            "Polygon" => 3,
            "MultiPolygon" => 4,
            _ => return RawGeometry::Other(kind),
        };
        let depth = match self.position_depth {
            None => return RawGeometry::Polygons(Vec::new()), // empty coordinates
            Some(d) if d == expected && !self.mixed => d,
            Some(_) => {
                return RawGeometry::Malformed(format!(
                    "{kind} coordinates are not nested {} deep",
                    expected - 1
                ))
            }
        };
        let ring_closes = self.closes.iter().filter(|(d, _)| *d == depth - 1).count();
        if ring_closes == 1 {
            // One ring, the common case: its positions are the whole buffer.
            return RawGeometry::Polygons(vec![vec![self.xy]]);
        }
        let (mut polygons, mut rings, mut start) = (Vec::new(), Vec::new(), 0);
        for (d, end) in self.closes {
            if d == depth - 1 {
                rings.push(self.xy[start..end].to_vec());
                start = end;
            } else if d == depth - 2 {
                polygons.push(std::mem::take(&mut rings));
            }
        }
        RawGeometry::Polygons(polygons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(json: &str) -> RawFeature<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn polygon_and_multipolygon_nesting() {
        let f = parse_one(
            r#"{"type":"Feature","id":7,"properties":{"DLBM":"0101","TBMJ":12.5,"X":null},
            "geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]],"type":"Polygon"}}"#,
        );
        assert_eq!(f.id.as_deref(), Some("7"));
        assert_eq!(
            f.properties[0],
            (Cow::Borrowed("DLBM"), Value::Text("0101".into()))
        );
        assert_eq!(f.properties[1].1, Value::Number(12.5));
        assert_eq!(f.properties[2].1, Value::Null);
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].len(), 2);
        assert_eq!(p[0][1][2], Coord { x: 0.2, y: 0.2 });

        let f = parse_one(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":
            [[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]],[[[2,2],[3,2],[3,3],[2,2]]]]}}"#,
        );
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!((p.len(), p[1][0][1]), (2, Coord { x: 3.0, y: 2.0 }));
    }

    #[test]
    fn other_and_malformed_geometries() {
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":null}"#,
        );
        assert_eq!(f.geometry, RawGeometry::Other("Point".into()));
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[0,0],[1,1]]}}"#,
        );
        assert!(matches!(f.geometry, RawGeometry::Malformed(_)));
        let f = parse_one(r#"{"type":"Feature","geometry":null,"properties":{}}"#);
        assert_eq!(f.geometry, RawGeometry::Null);
    }

    #[test]
    fn legacy_crs_member() {
        let crs = serde_json::json!({"type": "name", "properties": {"name": "EPSG:4529"}});
        assert_eq!(crs_name(&crs).as_deref(), Some("EPSG:4529"));
    }
}
